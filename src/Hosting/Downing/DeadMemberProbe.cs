using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;

namespace CallCluster.Hosting.Downing;

/// <summary>
/// Tells a dead process from a slow one, so that a crash does not wait for stable-after and a busy member is not
/// downed for a late heartbeat.
/// <para>When the connection to a member ends (Akka.Remote's <see cref="DisassociatedEvent"/>) or the failure detector
/// reports it unreachable, this actor opens a plain TCP connection to the member's remoting port. "Connection refused" means the host answered and nothing listens on
/// that port any more: the member's process is gone (a live member always listens; a restarted process on the same port
/// accepts, and is then a new incarnation). Anything else (accepted, timed out, unreachable network) proves nothing
/// and leaves the decision to the failure detector and the survivor rule, as before. A partitioned member is never
/// "refused": its host does not answer at all.</para>
/// <para>Reports to its parent (<see cref="CallNodeDowningActor"/>): <see cref="MemberConfirmedDead"/>, and the member
/// is downed at once when <see cref="SurvivorRule"/> would down it anyway (the survival table of docs/survival.md is
/// unchanged); <see cref="MemberConfirmedAlive"/>, and the decision on an unreachable member waits a grace period
/// (its kernel still accepts connections: a busy or paused process, which may yet answer heartbeats again).</para>
/// </summary>
internal sealed class DeadMemberProbe : ReceiveActor
{
    private readonly TimeSpan _timeout;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<Address> _probing = [];

    public DeadMemberProbe(TimeSpan timeout)
    {
        _timeout = timeout;
        Receive<DisassociatedEvent>(e => OnDisconnected(e.RemoteAddress));
        Receive<AssociationErrorEvent>(e => OnDisconnected(e.RemoteAddress));
        Receive<ClusterEvent.UnreachableMember>(e => OnDisconnected(e.Member.Address));
        Receive<ProbeResult>(OnProbed);
    }

    public static Props Props(TimeSpan timeout) => Akka.Actor.Props.Create(() => new DeadMemberProbe(timeout));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(AssociationErrorEvent));
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.UnreachableMember));
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _cluster.Unsubscribe(Self);
    }

    private void OnDisconnected(Address address)
    {
        var member = FindServingMember(address);
        if (member is null || address.Host is null || address.Port is null || !_probing.Add(address))
        {
            return;
        }

        var unique = member.UniqueAddress;
        ProbeAsync(address.Host, address.Port.Value, _timeout)
            .PipeTo(Self, success: outcome => new ProbeResult(unique, outcome));
    }

    private void OnProbed(ProbeResult result)
    {
        _probing.Remove(result.Member.Address);
        if (result.Outcome == ProbeOutcome.Accepted)
        {
            Context.Parent.Tell(new MemberConfirmedAlive(result.Member));
            return;
        }

        if (result.Outcome != ProbeOutcome.Refused)
        {
            _log.Debug("Dead-member probe: {0} {1}; the failure detector decides", result.Member.Address, result.Outcome);
            return;
        }

        // Still the same incarnation and still serving: a member already on its way out needs no downing.
        if (FindServingMember(result.Member.Address)?.UniqueAddress.Equals(result.Member) == true)
        {
            _log.Info("Dead-member probe: {0} refuses connections on its remoting port; its process is gone", result.Member.Address);
            Context.Parent.Tell(new MemberConfirmedDead(result.Member));
        }
    }

    private Member? FindServingMember(Address address) =>
        _cluster.State.Members.FirstOrDefault(m => m.Address.Equals(address) &&
                                                   m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or
                                                       MemberStatus.Joining or MemberStatus.Leaving);

    /// <summary>One TCP connect, closed at once. Never throws: every failure is an outcome.</summary>
    internal static async Task<ProbeOutcome> ProbeAsync(string host, int port, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, cancel.Token).ConfigureAwait(false);
            return ProbeOutcome.Accepted;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return ProbeOutcome.Refused;
        }
        catch (OperationCanceledException)
        {
            return ProbeOutcome.TimedOut;
        }
        catch (SocketException)
        {
            return ProbeOutcome.Unreachable;
        }
    }

    private sealed record ProbeResult(UniqueAddress Member, ProbeOutcome Outcome);
}

/// <summary>What one connect to a member's remoting port proved.</summary>
internal enum ProbeOutcome
{
    /// <summary>Something listens: the member (or a new incarnation on its port) is alive.</summary>
    Accepted,

    /// <summary>The host answered that nothing listens: the member's process is gone.</summary>
    Refused,

    /// <summary>No answer in time: a slow host or a cut network; proves nothing.</summary>
    TimedOut,

    /// <summary>Any other network error (no route, host down): proves nothing.</summary>
    Unreachable,
}

/// <summary>From <see cref="DeadMemberProbe"/> to <see cref="CallNodeDowningActor"/>: this incarnation's process is gone.</summary>
internal sealed record MemberConfirmedDead(UniqueAddress Member);

/// <summary>From <see cref="DeadMemberProbe"/> to <see cref="CallNodeDowningActor"/>: something still accepts connections
/// on this member's remoting port.</summary>
internal sealed record MemberConfirmedAlive(UniqueAddress Member);
