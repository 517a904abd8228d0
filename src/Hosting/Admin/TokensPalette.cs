using System.Globalization;
using Akka.Actor;
using CallCluster.Contracts.Security;
using CallCluster.Hosting.Security;

namespace CallCluster.Hosting.Admin;

/// <summary>The built-in <c>tokens</c> palette: API tokens issued to clients (docs/security.md). <c>add</c> makes the
/// secret here, sends only its SHA-256 to the registry and shows the secret once, in its answer; <c>list</c> never shows
/// a secret or a hash. Changes reach every gateway within a second (the registry publishes them).</summary>
public sealed class TokensPalette(CallClusterSecurity security, TimeSpan askTimeout) : IAdminPalette
{
    public static readonly IReadOnlyList<string> AddColumns = ["id", "token", "scopes", "domains", "expires"];
    public static readonly IReadOnlyList<string> ListColumns = ["id", "source", "scopes", "domains", "expires", "max_in_flight", "per_second"];

    public string Name => "tokens";

    public string Description => "API tokens: add, list, revoke";

    public IReadOnlyList<AdminVerb> Verbs { get; } =
    [
        new("add", "<id> <scope[,scope]> [domains=D,D] [expires=30d|ISO-8601] [max-in-flight=N] [commands-per-second=N]",
            "issue a token (scopes: calls:read, calls:control, admin); its secret is shown once", 2, 6),
        new("list", "", "configured and issued tokens: id | source | scopes | domains | expires | max_in_flight | per_second"),
        new("revoke", "<id>", "revoke an issued token; its open connections are closed", 1, 1),
    ];

    public async Task<AdminResult> ExecuteAsync(AdminCommand command, CancellationToken ct)
    {
        if (security.Registry is not { } registry)
        {
            return AdminResult.Failed("this process is not a cluster member: only configured tokens exist here");
        }

        switch (command.Verb)
        {
            case "add":
            {
                ApiToken token;
                string secret = TokenSecret.Generate();
                try
                {
                    token = Parse(command.Args, TokenSecret.Hash(secret));
                }
                catch (Exception e) when (e is ArgumentException or FormatException)
                {
                    return AdminResult.Usage(e.Message);
                }

                if (security.Settings.Tokens.Any(t => t.Id == token.Id))
                {
                    return AdminResult.Failed($"'{token.Id}' is a configured token's id; choose another");
                }

                var ack = await registry.Ask<TokenRegistryAck>(new IssueToken(token), askTimeout, ct).ConfigureAwait(false);
                return ack.Ok
                    ? AdminResult.Row(AddColumns, token.Id, secret, string.Join(",", token.Scopes), Domains(token), Expires(token))
                    : AdminResult.Failed(ack.Message);
            }
            case "revoke":
            {
                var ack = await registry.Ask<TokenRegistryAck>(new RevokeToken(command.Args[0]), askTimeout, ct).ConfigureAwait(false);
                return ack.Ok ? AdminResult.Done(ack.Message) : AdminResult.Failed(ack.Message);
            }
            default:
            {
                var set = await registry.Ask<TokenSet>(GetTokens.Instance, askTimeout, ct).ConfigureAwait(false);
                var rows = security.Settings.Tokens.Select(t => Row(t, "config"))
                    .Concat(set.Tokens.Select(t => Row(t, "issued")))
                    .ToList();
                return AdminResult.Ok(ListColumns, rows);
            }
        }
    }

    private static IReadOnlyList<string> Row(ApiToken t, string source) =>
        [t.Id, source, string.Join(",", t.Scopes), Domains(t), Expires(t), Num(t.MaxInFlight), Num(t.CommandsPerSecond)];

    private static string Num(int n) => n == 0 ? "default" : n.ToString(CultureInfo.InvariantCulture);

    private static string Domains(ApiToken t) => t.Domains.Count == 0 ? "any" : string.Join(",", t.Domains);

    private static string Expires(ApiToken t) =>
        t.ExpiresAtMs == 0 ? "never" : DateTimeOffset.FromUnixTimeMilliseconds(t.ExpiresAtMs).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary><c>ID SCOPES [key=value...]</c>; expires is a duration (30d, 12h, 90m, 45s) or an ISO-8601 instant.</summary>
    public static ApiToken Parse(IReadOnlyList<string> args, string sha256)
    {
        var id = args[0];
        if (id.Length is 0 or > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException("a token id is 1-64 letters, digits, '-', '_' or '.'");
        }

        var scopes = Scopes.Parse(args[1].Split(','));
        if (scopes.Count == 0) throw new ArgumentException("a token needs at least one scope");
        IReadOnlyList<string> domains = [];
        long expires = 0;
        int inFlight = 0, perSecond = 0;
        foreach (var option in args.Skip(2))
        {
            var eq = option.IndexOf('=');
            var (key, value) = eq > 0 ? (option[..eq], option[(eq + 1)..]) : (option, "");
            switch (key)
            {
                case "domains":
                    domains = value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(SecuritySettings.NormalizeDomain).ToList();
                    break;
                case "expires":
                    expires = ParseExpiry(value);
                    break;
                case "max-in-flight":
                    inFlight = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "commands-per-second":
                    perSecond = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"unknown option '{option}' (domains=, expires=, max-in-flight=, commands-per-second=)");
            }
        }

        return new ApiToken(id, sha256, scopes, domains, expires, inFlight, perSecond);
    }

    private static long ParseExpiry(string value)
    {
        var now = DateTimeOffset.UtcNow;
        if (value.Length > 1 && long.TryParse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            var span = value[^1] switch
            {
                'd' => TimeSpan.FromDays(n),
                'h' => TimeSpan.FromHours(n),
                'm' => TimeSpan.FromMinutes(n),
                's' => TimeSpan.FromSeconds(n),
                _ => (TimeSpan?)null,
            };
            if (span is { } s) return (now + s).ToUnixTimeMilliseconds();
        }

        return DateTimeOffset.Parse(value, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
    }
}
