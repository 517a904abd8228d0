using Akka.Actor;
using Akka.Event;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Admin;

/// <summary>Readiness of a call node's OpenSIPS connector: the cluster's EVI subscription is in place (so MI answers
/// and events can flow). Checked every few seconds by this actor; the HTTP probe (<see cref="ConnectorHealthCheck"/>) reads the last
/// immutable report.</summary>
public sealed class ConnectorHealth : ReceiveActor, IWithTimers
{
    private readonly IActorRef _subscriptions;
    private readonly HealthState _state;

    public ConnectorHealth(IActorRef subscriptions, HealthState state)
    {
        _subscriptions = subscriptions;
        _state = state;
        Receive<Check>(_ => _subscriptions.Ask<SubscriptionStatus>(GetSubscriptionStatus.Instance, TimeSpan.FromSeconds(3))
            .PipeTo(Self, failure: e => new Status.Failure(e)));
        Receive<SubscriptionStatus>(status =>
        {
            var missing = status.Events.Where(e => !e.Subscribed).Select(e => e.Event).ToList();
            _state.Publish(missing.Count == 0
                ? new Report(true, "EVI subscription in place: " + status.Socket)
                : new Report(false, "EVI not subscribed: " + string.Join(",", missing)));
        });
        Receive<Status.Failure>(f => _state.Publish(new Report(false, "the EVI subscription singleton did not answer")));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef subscriptions, HealthState state) =>
        Akka.Actor.Props.Create(() => new ConnectorHealth(subscriptions, state));

    protected override void PreStart() => Timers.StartPeriodicTimer("check", Check.Instance, TimeSpan.Zero, TimeSpan.FromSeconds(5));

    private sealed record Check
    {
        public static readonly Check Instance = new();
    }

    /// <summary>One check's outcome: healthy when the subscription is in place; what was seen either way.</summary>
    public sealed record Report(bool Healthy, string Description);

    /// <summary>The last report, replaced whole (an immutable record behind one reference) so readers never see a
    /// half-written value.</summary>
    public sealed class HealthState
    {
        private Report _current = new(false, "waiting for the EVI subscription");

        public Report Current => Volatile.Read(ref _current);

        internal void Publish(Report report) => Volatile.Write(ref _current, report);
    }
}
