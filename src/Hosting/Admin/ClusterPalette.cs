using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;

namespace CallCluster.Hosting.Admin;

/// <summary>The built-in <c>cluster</c> palette: membership as this node sees it, and the operator's membership
/// actions (leave, down, join), plus <c>tail</c>, which streams membership events.</summary>
public sealed class ClusterPalette(ActorSystem system) : IAdminPalette
{
    public static readonly IReadOnlyList<string> MemberColumns = ["address", "status", "roles", "reachability", "app-version"];
    public static readonly IReadOnlyList<string> StatusColumns = ["address", "status", "leader", "members", "unreachable"];
    public static readonly IReadOnlyList<string> LeaderColumns = ["role", "leader"];
    public static readonly IReadOnlyList<string> TailColumns = ["time", "event", "address", "status", "roles"];
    public static readonly IReadOnlyList<string> AddressColumns = ["address"];

    public string Name => "cluster";

    public string Description => "cluster membership: show, status, leader, leave, down, down-unreachable, join, tail";

    public IReadOnlyList<AdminVerb> Verbs { get; } =
    [
        new("show", "", "every member: address | status | roles | reachability | app-version"),
        new("status", "", "this node: address | status | leader | members | unreachable"),
        new("leader", "", "the leader, and the leader of each role"),
        new("leave", "[address]", "this node (or the given member) leaves the cluster gracefully", 0, 1),
        new("down", "<address>", "marks a member Down (use only when it is really gone)", 1, 1),
        new("down-unreachable", "", "marks every unreachable member Down"),
        new("join", "<address>", "this node joins the cluster through the given member", 1, 1),
        new("tail", "", "streams membership events until interrupted", Streaming: true),
    ];

    private Cluster Cluster => Cluster.Get(system);

    public Task<AdminResult> ExecuteAsync(AdminCommand command, CancellationToken ct) => Task.FromResult(command.Verb switch
    {
        "show" => Show(),
        "status" => Status(),
        "leader" => Leader(),
        "leave" => Leave(command.Args),
        "down" => Down(command.Args[0]),
        "down-unreachable" => DownUnreachable(),
        "join" => Join(command.Args[0]),
        _ => AdminResult.Usage($"unknown verb cluster {command.Verb}"),
    });

    private AdminResult Show()
    {
        var state = Cluster.State;
        var rows = state.Members
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => (IReadOnlyList<string>)MemberRow(m, state.Unreachable.Contains(m)))
            .ToList();
        return AdminResult.Ok(MemberColumns, rows);
    }

    private AdminResult Status()
    {
        var state = Cluster.State;
        var self = Cluster.SelfMember;
        return AdminResult.Row(StatusColumns,
            self.Address.ToString(),
            self.Status.ToString(),
            state.Leader?.ToString() ?? "none",
            state.Members.Count.ToString(CultureInfo.InvariantCulture),
            state.Unreachable.Count.ToString(CultureInfo.InvariantCulture));
    }

    private AdminResult Leader()
    {
        var state = Cluster.State;
        var rows = new List<IReadOnlyList<string>> { new[] { "*", state.Leader?.ToString() ?? "none" } };
        var roles = state.Members.SelectMany(m => m.Roles).Distinct().Order(StringComparer.Ordinal);
        rows.AddRange(roles.Select(role => (IReadOnlyList<string>)[role, state.RoleLeader(role)?.ToString() ?? "none"]));
        return AdminResult.Ok(LeaderColumns, rows);
    }

    private AdminResult Leave(IReadOnlyList<string> args)
    {
        var address = Cluster.SelfAddress;
        if (args.Count == 1)
        {
            if (!TryMember(args[0], out var member, out var error))
            {
                return AdminResult.Failed(error);
            }

            address = member.Address;
        }

        Cluster.Leave(address);
        return AdminResult.Ok(AddressColumns, [[address.ToString()]], $"{address} is leaving the cluster");
    }

    private AdminResult Down(string text)
    {
        if (!TryMember(text, out var member, out var error))
        {
            return AdminResult.Failed(error);
        }

        Cluster.Down(member.Address);
        return AdminResult.Ok(AddressColumns, [[member.Address.ToString()]], $"{member.Address} marked Down");
    }

    private AdminResult DownUnreachable()
    {
        var unreachable = Cluster.State.Unreachable.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).ToList();
        foreach (var member in unreachable)
        {
            Cluster.Down(member.Address);
        }

        return AdminResult.Ok(AddressColumns,
            unreachable.Select(m => (IReadOnlyList<string>)[m.Address.ToString()]).ToList(),
            unreachable.Count == 0 ? "no unreachable members" : $"{unreachable.Count} unreachable member(s) marked Down");
    }

    private AdminResult Join(string text)
    {
        if (!TryParseAddress(text, out var address, out var error))
        {
            return AdminResult.Failed(error);
        }

        Cluster.Join(address);
        return AdminResult.Ok(AddressColumns, [[address.ToString()]], $"joining through {address}");
    }

    public async IAsyncEnumerable<AdminResult> StreamAsync(AdminCommand command, [EnumeratorCancellation] CancellationToken ct)
    {
        if (command.Verb != "tail")
        {
            throw new NotSupportedException($"cluster {command.Verb} does not stream");
        }

        var channel = Channel.CreateUnbounded<ClusterEvent.IClusterDomainEvent>(new UnboundedChannelOptions { SingleReader = true });
        var forwarder = system.ActorOf(Props.Create(() => new ClusterEventForwarder(channel.Writer)));
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (TailRow(e) is { } row)
                {
                    yield return AdminResult.Ok(TailColumns, [row]);
                }
            }
        }
        finally
        {
            system.Stop(forwarder);
        }
    }

    internal static string[] MemberRow(Member m, bool unreachable) =>
    [
        m.Address.ToString(),
        m.Status.ToString(),
        string.Join(",", m.Roles.Order(StringComparer.Ordinal)),
        unreachable ? "unreachable" : "reachable",
        m.AppVersion.ToString(),
    ];

    private static string[]? TailRow(ClusterEvent.IClusterDomainEvent e)
    {
        var time = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return e switch
        {
            ClusterEvent.MemberStatusChange change => MemberEvent(time, change.GetType().Name, change.Member),
            ClusterEvent.UnreachableMember u => MemberEvent(time, "MemberUnreachable", u.Member),
            ClusterEvent.ReachableMember r => MemberEvent(time, "MemberReachable", r.Member),
            ClusterEvent.LeaderChanged l => [time, "LeaderChanged", l.Leader?.ToString() ?? "none", "", ""],
            _ => null,
        };
    }

    private static string[] MemberEvent(string time, string name, Member m) =>
        [time, name, m.Address.ToString(), m.Status.ToString(), string.Join(",", m.Roles.Order(StringComparer.Ordinal))];

    private bool TryMember(string text, out Member member, out string error)
    {
        member = null!;
        if (!TryParseAddress(text, out var address, out error))
        {
            return false;
        }

        var found = Cluster.State.Members.FirstOrDefault(m => m.Address.Equals(address));
        if (found is null)
        {
            error = $"{address} is not a member of this cluster";
            return false;
        }

        member = found;
        return true;
    }

    internal static bool TryParseAddress(string text, out Address address, out string error)
    {
        address = null!;
        error = "";
        try
        {
            address = Address.Parse(text);
            if (address.Host is null || address.Port is null)
            {
                error = $"'{text}' is not a remote address (akka.tcp://callcluster@HOST:PORT)";
                return false;
            }

            return true;
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            error = $"'{text}' is not an address (akka.tcp://callcluster@HOST:PORT): {e.Message}";
            return false;
        }
    }

    /// <summary>Subscribes to membership events (current state first, as events) and hands them to the stream.</summary>
    private sealed class ClusterEventForwarder : ReceiveActor
    {
        private readonly ChannelWriter<ClusterEvent.IClusterDomainEvent> _writer;

        public ClusterEventForwarder(ChannelWriter<ClusterEvent.IClusterDomainEvent> writer)
        {
            _writer = writer;
            Receive<ClusterEvent.IClusterDomainEvent>(e => _writer.TryWrite(e));
        }

        protected override void PreStart() =>
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));

        protected override void PostStop()
        {
            Cluster.Get(Context.System).Unsubscribe(Self);
            _writer.TryComplete();
        }
    }
}
