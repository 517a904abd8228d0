using Akka.Actor;
using CallCluster.Gateway.Journal;

namespace CallCluster.Gateway.Tests;

/// <summary>When the gateway-only process refuses new commands: only when every Up call node has reported its journal
/// down. Any doubt (no call node, a node not heard from, one node answering) forwards, because refusing is final for
/// the client while forwarding can still succeed.</summary>
public sealed class ClusterJournalGateTests
{
    private static readonly Address A = new("akka.tcp", "callcluster", "127.0.0.1", 4001);
    private static readonly Address B = new("akka.tcp", "callcluster", "127.0.0.1", 4002);

    [Fact]
    public void No_call_node_up_forwards() =>
        Assert.Null(ClusterJournalGate.DownReason([], new Dictionary<string, string> { [A.ToString()] = "down" }));

    [Fact]
    public void Every_up_call_node_down_refuses_with_a_reported_reason() =>
        Assert.Equal("pg gone", ClusterJournalGate.DownReason([A, B],
            new Dictionary<string, string> { [A.ToString()] = "pg gone", [B.ToString()] = "pg gone too" }));

    [Fact]
    public void One_call_node_answering_forwards() =>
        Assert.Null(ClusterJournalGate.DownReason([A, B],
            new Dictionary<string, string> { [A.ToString()] = "pg gone", [B.ToString()] = "" }));

    [Fact]
    public void A_call_node_not_heard_from_forwards() =>
        Assert.Null(ClusterJournalGate.DownReason([A, B], new Dictionary<string, string> { [A.ToString()] = "pg gone" }));

    [Fact]
    public void Reports_of_members_that_left_do_not_count() =>
        Assert.Null(ClusterJournalGate.DownReason([B],
            new Dictionary<string, string> { [A.ToString()] = "pg gone", [B.ToString()] = "" }));
}
