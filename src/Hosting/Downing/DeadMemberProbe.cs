using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;

namespace CallCluster.Hosting.Downing;

/// <summary>
/// Tells a dead process from a slow one as soon as its connection drops, so that a crash does not have to wait for the
/// failure detector's heartbeat pause (3 s on loopback) and stable-after.
/// <para>When the connection to a member ends (Akka.Remote's <see cref="DisassociatedEvent"/>), this actor opens a plain
/// TCP connection to the member's remoting port. "Connection refused" means the host answered and nothing listens on
/// that port any more: the member's process is gone (a live member always listens; a restarted process on the same port
/// accepts, and is then a new incarnation). Anything else (accepted, timed out, unreachable network) proves nothing
/// and leaves the decision to the failure detector and the survivor rule, as before. A partitioned member is never
/// "refused": its host does not answer at all.</para>
/// <para>Reports <see cref="MemberConfirmedDead"/> to its parent (<see cref="CallNodeDowningActor"/>), which downs the
/// member only when <see cref="SurvivorRule"/> would, so the survival table of docs/survival.md is unchanged.</para>
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
        Receive<ProbeResult>(OnProbed);
    }

    public static Props Props(TimeSpan timeout) => Akka.Actor.Props.Create(() => new DeadMemberProbe(timeout));

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(AssociationErrorEvent));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void OnDisconnected(Address address)
    {
        var member = FindServingMember(address);
        if (member is null || address.Host is null || address.Port is null || !_probing.Add(address))
        {
            return;
        }

        var self = Self;
        ProbeAsync(address.Host, address.Port.Value, _timeout)
            .ContinueWith(t => new ProbeResult(member.UniqueAddress, t.Result), TaskContinuationOptions.ExecuteSynchronously)
            .PipeTo(self);
    }

    private void OnProbed(ProbeResult result)
    {
        _probing.Remove(result.Member.Address);
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
