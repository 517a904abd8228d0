using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Akka.Actor;
using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Connection;
using CallCluster.Gateway.Protocol;
using CallCluster.Hosting.Tracing;

namespace CallCluster.Gateway.Tests;

/// <summary>The gateway's span of a command request ends even when the WebSocket closes before the command service
/// answers: an unended span is never exported (docs/tracing.md).</summary>
public sealed class ConnectionSpanTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly RequestParser Parser = new(new MethodRegistry(GatewaySettings.DefaultEnabledMethods));

    private readonly ConcurrentQueue<Activity> _ended = new();
    private readonly ActivityListener _listener;

    public ConnectionSpanTests() : base("akka.loglevel = INFO")
    {
        // A plain listener on CallCluster's source, as an exporter would be: spans are created and their ends seen.
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CallClusterTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ended.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [Fact]
    public void A_request_still_waiting_when_the_connection_closes_ends_its_span_as_abandoned()
    {
        var region = CreateTestProbe();
        var outbound = CreateTestProbe();
        var actor = Sys.ActorOf(ConnectionActor.Props(region.Ref, outbound.Ref, GatewaySettings.Default));
        var answered = "span-answered-" + Guid.NewGuid().ToString("N");
        var waiting = "span-waiting-" + Guid.NewGuid().ToString("N");

        actor.Tell(Parser.Parse(Encoding.UTF8.GetBytes(End(1, answered))));
        region.ExpectMsg<StartCommand>();
        actor.Tell(new CommandAccepted(answered, false));
        actor.Tell(Parser.Parse(Encoding.UTF8.GetBytes(End(2, waiting))));
        region.ExpectMsg<StartCommand>();
        AwaitAssert(() => Assert.Equal("accepted", Outcome(answered)));
        Assert.Null(Outcome(waiting)); // still open: no answer yet

        Watch(actor);
        actor.Tell(new ConnectionClosed("client went away"));
        ExpectTerminated(actor);

        Assert.Equal("abandoned", Outcome(waiting));
        var span = _ended.Single(a => CmdIdOf(a) == waiting);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("accepted", Outcome(answered)); // ended once, as accepted
        Assert.Single(_ended, a => CmdIdOf(a) == answered);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _listener.Dispose();
        }

        base.Dispose(disposing);
    }

    private static string End(int id, string cmdId) =>
        $$$"""{"jsonrpc":"2.0","id":{{{id}}},"method":"CallEnd","params":{"callid":"x","cmd_id":"{{{cmdId}}}"}}""";

    private string? Outcome(string cmdId) =>
        _ended.Where(a => CmdIdOf(a) == cmdId).Select(a => a.GetTagItem(TraceNames.Outcome) as string).SingleOrDefault();

    private static string? CmdIdOf(Activity activity) => activity.GetTagItem(TraceNames.CmdId) as string;
}
