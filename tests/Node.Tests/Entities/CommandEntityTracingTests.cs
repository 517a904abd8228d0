using System.Diagnostics;
using Akka.Actor;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Hosting.Tracing;
using CallCluster.Node.Commands;
using CallCluster.TestSupport;

namespace CallCluster.Node.Tests.Entities;

/// <summary>A command that resumes in another incarnation (its shard moved, its node restarted) starts a new span
/// linked to its first one: the first span's traceparent is stored with the start (docs/tracing.md).</summary>
public sealed class CommandEntityTracingTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly CommandSettings Settings = new(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30));

    private readonly SpanRecorder _spans = new(CallClusterTracing.SourceName);

    public CommandEntityTracingTests() : base(EntityTestConfig.Config)
    {
    }

    [Fact]
    public void A_resumed_command_links_its_span_to_the_span_of_its_first_incarnation()
    {
        var cmdId = "traced-" + Guid.NewGuid().ToString("N");
        var dialogs = CreateTestProbe();
        var client = CreateTestProbe();
        var first = Sys.ActorOf(CommandEntity.Props(cmdId, CreateTestProbe().Ref, dialogs.Ref, Settings));
        first.Tell(new StartCommand(cmdId, CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "x" }, client.Ref));
        client.ExpectMsg<CommandAccepted>();
        dialogs.ExpectMsg<AttachCommand>(); // running: it waits for its dialog
        Watch(first);
        first.Tell(PoisonPill.Instance); // as a node that dies mid-command
        ExpectTerminated(first);

        var again = Sys.ActorOf(CommandEntity.Props(cmdId, CreateTestProbe().Ref, dialogs.Ref, Settings));
        again.Tell(new GetCommand(cmdId));
        Assert.Equal("running", ExpectMsg<CommandSnapshot>().Status);

        var spans = _spans.Started.Where(a => a.OperationName == TraceNames.Command && (a.GetTagItem(TraceNames.CmdId) as string) == cmdId).ToList();
        Assert.Equal(2, spans.Count);
        var (original, resumed) = (spans[0], spans[1]);
        Assert.Equal(false, original.GetTagItem(TraceNames.Resumed));
        Assert.Equal(true, resumed.GetTagItem(TraceNames.Resumed));
        Assert.Empty(original.Links);
        var link = Assert.Single(resumed.Links);
        Assert.Equal((original.TraceId, original.SpanId), (link.Context.TraceId, link.Context.SpanId));
        Assert.NotEqual(original.TraceId, resumed.TraceId); // a new trace, found from the first through the link
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _spans.Dispose();
        }

        base.Dispose(disposing);
    }
}
