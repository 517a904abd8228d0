using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace CallCluster.Hosting.Downing;

/// <summary>
/// Runs on every member; acts only while it is the leader of its side. Once the set of unreachable members has stayed
/// the same for stable-after, it applies <see cref="SurvivorRule"/> and downs either the unreachable members or its own
/// side (itself last). Downed members' processes end through run-coordinated-shutdown-when-down.
/// <para>Indirectly connected members (reported unreachable by someone, yet this leader's own failure detector still
/// hears them: a broken link rather than a dead process) count on this side; when this side survives, all of them are
/// downed except the oldest call node among them, which restores convergence without ever downing every call node.</para>
/// </summary>
internal sealed class CallNodeDowningActor : ReceiveActor, IWithTimers
{
    private readonly DowningSettings _settings;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private string _signature = "";
    private DateTime _stableAt = DateTime.MaxValue;
    private ImmutableHashSet<UniqueAddress> _downed = ImmutableHashSet<UniqueAddress>.Empty;

    /// <summary>Unreachable members whose remoting port still accepted connections, with the end of their grace: the
    /// decision waits until then (counted from the first such answer, never extended: a frozen process's kernel keeps
    /// accepting, so "alive" cannot postpone the decision for ever).</summary>
    private ImmutableDictionary<UniqueAddress, DateTime> _aliveGraceUntil = ImmutableDictionary<UniqueAddress, DateTime>.Empty;

    public CallNodeDowningActor(DowningSettings settings)
    {
        _settings = settings;
        Receive<Tick>(_ => OnTick());
        Receive<ClusterEvent.IClusterDomainEvent>(_ => OnTick());
        Receive<ClusterEvent.CurrentClusterState>(_ => OnTick());
        Receive<MemberConfirmedDead>(OnConfirmedDead);
        Receive<MemberConfirmedAlive>(alive =>
        {
            if (!_aliveGraceUntil.ContainsKey(alive.Member) && _cluster.State.Unreachable.Any(m => m.UniqueAddress.Equals(alive.Member)))
            {
                _aliveGraceUntil = _aliveGraceUntil.Add(alive.Member, DateTime.UtcNow + _settings.AliveGrace);
                _log.Info("Downing: {0} is unreachable but its process still accepts connections; deciding no earlier than {1:HH:mm:ss.fff}",
                    alive.Member.Address, _aliveGraceUntil[alive.Member]);
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(DowningSettings settings) => Akka.Actor.Props.Create(() => new CallNodeDowningActor(settings));

    protected override void PreStart()
    {
        _log.Info("Downing: call nodes first (role {0}), stable-after {1}, down-removal-margin {2}", _settings.Role,
            _settings.StableAfter, _settings.DownRemovalMargin);
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));
        // Decisions are taken on a tick, so stable-after is honoured within a quarter of itself (at most 1 s late).
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(_settings.StableAfter.TotalMilliseconds / 4, 50, 1000));
        Timers.StartPeriodicTimer("tick", Tick.Instance, tick);
        if (_settings.DeadMemberProbeTimeout > TimeSpan.Zero)
        {
            Context.ActorOf(DeadMemberProbe.Props(_settings.DeadMemberProbeTimeout), "dead-member-probe");
        }
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void OnTick()
    {
        var state = _cluster.State;
        var unreachable = state.Unreachable.Where(m => m.Status is not (MemberStatus.Down or MemberStatus.Exiting)).ToList();
        var signature = string.Join(",", unreachable.Select(m => m.UniqueAddress.ToString()).Order()) + "|" +
                        string.Join(",", state.Members.Select(m => m.UniqueAddress + ":" + m.Status).Order());
        if (signature != _signature)
        {
            _signature = signature;
            _stableAt = DateTime.UtcNow + _settings.StableAfter;
            if (unreachable.Count > 0 && IsLeader(state))
            {
                _log.Info("Downing: unreachable [{0}]; deciding at {1:HH:mm:ss.fff} if nothing changes",
                    string.Join(", ", unreachable.Select(m => m.Address)), _stableAt);
            }
        }

        // Grace only while unreachable: a member that became reachable again starts afresh next time.
        _aliveGraceUntil = _aliveGraceUntil.RemoveRange(_aliveGraceUntil.Keys.Where(a => unreachable.All(m => !m.UniqueAddress.Equals(a))));
        if (unreachable.Count == 0)
        {
            _downed = _downed.Clear();
            return;
        }

        if (!IsLeader(state) || DateTime.UtcNow < _stableAt || _aliveGraceUntil.Values.Any(until => DateTime.UtcNow < until))
        {
            return;
        }

        Decide(state, unreachable);
    }

    private bool IsLeader(ClusterEvent.CurrentClusterState state) => _cluster.SelfAddress.Equals(state.Leader);

    /// <summary>The fast path (<see cref="DeadMemberProbe"/>): a member whose process is gone is downed at once, on any
    /// member that learns it (not only the leader: the dead member may have been the leader), when the survivor rule
    /// applied with that member unreachable keeps this side, which is what the leader would decide after stable-after.
    /// Otherwise (this side would lose) nothing is done here and the usual path decides.</summary>
    private void OnConfirmedDead(MemberConfirmedDead dead)
    {
        var state = _cluster.State;
        var member = state.Members.FirstOrDefault(m => m.UniqueAddress.Equals(dead.Member));
        if (member is null || member.Status is MemberStatus.Down or MemberStatus.Exiting || _downed.Contains(dead.Member))
        {
            return;
        }

        var unreachable = state.Unreachable.Where(m => m.Status is not (MemberStatus.Down or MemberStatus.Exiting))
            .Where(m => !m.UniqueAddress.Equals(dead.Member)).Append(member).ToList();
        var (voters, _, _) = Vote(state, unreachable, confirmedDead: dead.Member);
        var decision = SurvivorRule.Decide(voters);
        if (decision != SurvivalDecision.DownUnreachable)
        {
            _log.Info("Downing: {0} is gone, but this side would not survive it alone; leaving it to the failure detector", member.Address);
            return;
        }

        _log.Warning("Downing {0} at once: its process is gone (connection refused) and this side [{1}] survives it",
            member.Address, string.Join(", ", voters.Where(v => v.Reachable).Select(Describe)));
        _downed = _downed.Add(dead.Member);
        _cluster.Down(member.Address);
    }

    /// <summary>The survivor rule's input: every counted member by age, with whether it is on this side.</summary>
    private (List<Voter> Voters, HashSet<UniqueAddress> Unreachable, HashSet<UniqueAddress> Indirect) Vote(
        ClusterEvent.CurrentClusterState state, IReadOnlyCollection<Member> unreachable, UniqueAddress? confirmedDead = null)
    {
        // Counted: members that are (or may still be) serving; joining ones and those already on their way out are not.
        var counted = state.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving).ToList();
        var unreachableSet = unreachable.Select(m => m.UniqueAddress).ToHashSet();
        // Only members this node's failure detector monitors (all of them up to monitored-by-nr-of-members, 9) can be
        // told apart: an unmonitored one counts as available to the detector, yet may be dead. A member confirmed dead
        // may still look available to the detector (its last heartbeats are recent): it is never "indirect".
        var indirect = unreachable.Where(m => m.UniqueAddress != _cluster.SelfUniqueAddress &&
                                              !m.UniqueAddress.Equals(confirmedDead) &&
                                              _cluster.FailureDetector.IsMonitoring(m.Address) &&
                                              _cluster.FailureDetector.IsAvailable(m.Address))
            .Select(m => m.UniqueAddress).ToHashSet();
        var byAge = counted.OrderBy(m => m, Member.AgeOrdering).ToList();
        var voters = byAge.Select((m, i) => new Voter(m.UniqueAddress, m.HasRole(_settings.Role), i,
            !unreachableSet.Contains(m.UniqueAddress) || indirect.Contains(m.UniqueAddress))).ToList();
        return (voters, unreachableSet, indirect);
    }

    private void Decide(ClusterEvent.CurrentClusterState state, IReadOnlyCollection<Member> unreachable)
    {
        var (voters, unreachableSet, indirect) = Vote(state, unreachable);
        var decision = SurvivorRule.Decide(voters);

        // What is downed includes joining members (not counted, but left unreachable they would block convergence).
        var downable = state.Members.Where(m => m.Status is not (MemberStatus.Down or MemberStatus.Exiting)).ToList();
        List<UniqueAddress> toDown;
        if (decision == SurvivalDecision.DownUnreachable)
        {
            toDown = downable.Where(m => unreachableSet.Contains(m.UniqueAddress) && !indirect.Contains(m.UniqueAddress))
                .Select(m => m.UniqueAddress).ToList();
            var keep = voters.FirstOrDefault(v => v.HoldsCalls && indirect.Contains(v.Address))?.Address;
            toDown.AddRange(indirect.Where(a => a != keep));
        }
        else
        {
            // This side loses; the leader downs itself last so that the others' downing is gossiped first.
            toDown = downable.Where(m => !unreachableSet.Contains(m.UniqueAddress) || indirect.Contains(m.UniqueAddress))
                .Select(m => m.UniqueAddress).OrderBy(a => a == _cluster.SelfUniqueAddress).ToList();
        }

        toDown = toDown.Where(a => !_downed.Contains(a)).ToList();
        if (toDown.Count == 0)
        {
            return;
        }

        _log.Warning("Downing decision {0} (call nodes first): this side [{1}], other side [{2}]{3}; downing [{4}]", decision,
            string.Join(", ", voters.Where(v => v.Reachable).Select(Describe)),
            string.Join(", ", voters.Where(v => !v.Reachable).Select(Describe)),
            indirect.Count == 0 ? "" : $", indirectly connected [{string.Join(", ", indirect.Select(a => a.Address))}]",
            string.Join(", ", toDown.Select(a => a.Address)));
        foreach (var address in toDown)
        {
            _downed = _downed.Add(address);
            _cluster.Down(address.Address);
        }
    }

    private string Describe(Voter v) => $"{v.Address.Address}{(v.HoldsCalls ? " " + _settings.Role : "")}";

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
