using System.Diagnostics;
using System.Text;
using Akka.Actor;
using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Connection;
using CallCluster.Gateway.Protocol;
using CallCluster.Hosting.Tracing;
using CallCluster.TestSupport;

namespace CallCluster.Gateway.Tests;

/// <summary>The gateway's span of a command request ends even when the WebSocket closes before the command service
/// answers: an unended span is never exported (docs/tracing.md).</summary>
public sealed class ConnectionSpanTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly RequestParser Parser = new(new MethodRegistry(GatewaySettings.DefaultEnabledMethods));

    private readonly SpanRecorder _spans = new(CallClusterTracing.SourceName);

    public ConnectionSpanTests() : base("akka.loglevel = INFO")
    {
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
        var span = _spans.Ended.Single(a => CmdIdOf(a) == waiting);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("accepted", Outcome(answered)); // ended once, as accepted
        Assert.Single(_spans.Ended, a => CmdIdOf(a) == answered);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _spans.Dispose();
        }

        base.Dispose(disposing);
    }

    private static string End(int id, string cmdId) =>
        $$$"""{"jsonrpc":"2.0","id":{{{id}}},"method":"CallEnd","params":{"callid":"x","cmd_id":"{{{cmdId}}}"}}""";

    private string? Outcome(string cmdId) =>
        _spans.Ended.Where(a => CmdIdOf(a) == cmdId).Select(a => a.GetTagItem(TraceNames.Outcome) as string).SingleOrDefault();

    private static string? CmdIdOf(Activity activity) => activity.GetTagItem(TraceNames.CmdId) as string;
}
