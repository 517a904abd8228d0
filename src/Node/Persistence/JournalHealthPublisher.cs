using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using CallCluster.Gateway.Journal;

namespace CallCluster.Node.Persistence;

/// <summary>Shares this call node's <see cref="JournalHealth"/> with the rest of the cluster through Distributed Data, so
/// that a gateway-only process, which has no journal of its own, can refuse new commands -32003 at once while the call
/// nodes' journal is down (<see cref="ClusterJournalGate"/>) instead of waiting for its ask timeout. The entry of a
/// call node is its address; the value is empty while the journal answers, the last error while it is down.</summary>
public sealed class JournalHealthPublisher : ReceiveActor, IWithTimers
{
    private readonly JournalHealth _health;
    private readonly IActorRef _replicator;
    private readonly Akka.Cluster.UniqueAddress _self;
    private readonly string _member;
    private string? _published; // null = nothing published yet

    public JournalHealthPublisher(TimeSpan every)
    {
        _health = JournalHealth.Get(Context.System);
        _replicator = DistributedData.Get(Context.System).Replicator;
        _self = Cluster.Get(Context.System).SelfUniqueAddress;
        _member = Cluster.Get(Context.System).SelfAddress.ToString();
        Receive<Tick>(_ => PublishIfChanged());
        // A write is local and spreads by gossip; its acknowledgement needs nothing.
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(_ => _published = null); // try again at the next tick
        Timers.StartPeriodicTimer("tick", Tick.Instance, every);
        Self.Tell(Tick.Instance);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(TimeSpan every) => Akka.Actor.Props.Create(() => new JournalHealthPublisher(every));

    /// <summary>The value published for a health: empty = up, else why it is down (never empty).</summary>
    public static string ValueOf(JournalHealth health) =>
        health.IsDown ? (string.IsNullOrEmpty(health.LastError) ? "journal unavailable" : health.LastError) : "";

    private void PublishIfChanged()
    {
        var value = ValueOf(_health);
        if (value == _published)
        {
            return;
        }

        _published = value;
        _replicator.Tell(Dsl.Update(ClusterJournalGate.HealthKey, LWWDictionary<string, string>.Empty, WriteLocal.Instance,
            map => map.SetItem(_self, _member, value)));
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }
}
