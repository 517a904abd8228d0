using System.Globalization;
using Akka.Configuration;
using CallCluster.Contracts.Security;

namespace CallCluster.Hosting.Security;

/// <summary><c>callcluster.security</c> (hocon/base.conf; docs/security.md).</summary>
/// <param name="Tokens">Tokens from configuration (hashes only); tokens issued with callctl come from the registry.</param>
/// <param name="AllowedOrigins">Browser origins allowed to open a WebSocket or get a ticket; empty: the gateway's own.</param>
/// <param name="Insecure">Serve a non-loopback gateway with no token configured (--insecure): anyone who reaches it
/// controls calls. Logged as a warning every minute.</param>
public sealed record SecuritySettings(
    IReadOnlyList<ApiToken> Tokens,
    IReadOnlyList<string> AllowedOrigins,
    bool Insecure,
    TimeSpan TicketTtl,
    int DefaultMaxInFlight,
    int DefaultCommandsPerSecond,
    TlsSettings Tls,
    EndpointPolicy Compat)
{
    public const string ConfigPath = "callcluster.security";

    /// <summary>How often a gateway asks the token registry for the whole set, in case a published change was lost.</summary>
    public TimeSpan RegistryPoll { get; init; } = TimeSpan.FromSeconds(10);

    public static SecuritySettings Default { get; } = new([], [], false, TimeSpan.FromSeconds(30), 100, 50, TlsSettings.None,
        EndpointPolicy.LoopbackCalls);

    /// <summary>Reads <c>callcluster.security</c>; a mistake (an unknown scope, a bad date or network) is a
    /// <see cref="StartupException"/>: one line, exit code 2.</summary>
    public static SecuritySettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        try
        {
            return Read(config);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new StartupException("callcluster.security: " + e.Message, e);
        }
    }

    private static SecuritySettings Read(Config config)
    {
        var d = Default;
        var c = config.HasPath(ConfigPath) ? config.GetConfig(ConfigPath) : null;
        if (c is null || c.IsEmpty)
        {
            return d;
        }

        var tokens = new List<ApiToken>();
        if (c.HasPath("tokens"))
        {
            foreach (var t in c.GetValue("tokens").GetArray())
            {
                tokens.Add(TokenFromConfig(new Config(new Akka.Configuration.Hocon.HoconRoot(t))));
            }
        }

        tokens.AddRange(ParseTokenList(c.GetString("tokens-env", "")));
        var duplicate = tokens.GroupBy(t => t.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new StartupException($"callcluster.security.tokens: the id '{duplicate.Key}' is used twice");
        }

        var compat = c.GetString("compat.policy", "addresses").Trim().ToLowerInvariant() switch
        {
            "tokens" => EndpointPolicy.TokensOnly,
            "addresses" => new EndpointPolicy(
                SplitList(c, "compat.allow").Select(ParseNetwork).ToList(),
                Scopes.Parse(SplitList(c, "compat.scopes")),
                SplitList(c, "compat.domains").Select(NormalizeDomain).ToList()),
            var other => throw new StartupException($"callcluster.security.compat.policy must be tokens or addresses, not '{other}'"),
        };

        return new SecuritySettings(
            tokens,
            SplitList(c, "allowed-origins").Select(o => o.TrimEnd('/')).ToList(),
            c.GetBoolean("insecure", false),
            c.GetTimeSpan("ticket-ttl", d.TicketTtl),
            c.GetInt("limits.max-in-flight", d.DefaultMaxInFlight),
            c.GetInt("limits.commands-per-second", d.DefaultCommandsPerSecond),
            new TlsSettings(c.GetString("tls.certificate", ""), c.GetString("tls.key", ""), c.GetString("tls.password", "")),
            compat)
        {
            RegistryPoll = c.GetTimeSpan("registry-poll", d.RegistryPoll),
        };
    }

    public static string NormalizeDomain(string domain) => domain.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>A list setting given as a HOCON list or as one comma-separated string (what an environment variable
    /// can carry).</summary>
    private static List<string> SplitList(Config c, string path)
    {
        if (!c.HasPath(path)) return [];
        var value = c.GetValue(path);
        var items = value.IsArray() ? value.GetArray().Select(v => v.GetString()) : [value.GetString()];
        return items.SelectMany(s => (s ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
    }

    private static System.Net.IPNetwork ParseNetwork(string value)
    {
        if (System.Net.IPNetwork.TryParse(value, out var network)) return network;
        if (System.Net.IPAddress.TryParse(value, out var ip)) return new System.Net.IPNetwork(ip, ip.GetAddressBytes().Length * 8);
        throw new StartupException($"callcluster.security.compat.allow: '{value}' is not an address or network (CIDR)");
    }

    private static ApiToken TokenFromConfig(Config t)
    {
        var id = t.GetString("id", "");
        var hash = t.GetString("sha256", "").Trim().ToLowerInvariant();
        if (id.Length == 0 || !TokenSecret.IsSha256Hex(hash))
        {
            throw new StartupException("callcluster.security.tokens: every token needs an id and sha256 (64 hex digits: " +
                "`callctl tokens new` prints a token and its hash)");
        }

        var expires = t.GetString("expires", "");
        return new ApiToken(id, hash, Scopes.Parse(t.HasPath("scopes") ? t.GetStringList("scopes") : []),
            t.HasPath("domains") ? t.GetStringList("domains").Select(NormalizeDomain).ToList() : [],
            expires.Length == 0 ? 0 : DateTimeOffset.Parse(expires, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(),
            t.GetInt("max-in-flight", 0), t.GetInt("commands-per-second", 0));
    }

    /// <summary>CALLCLUSTER_TOKENS: <c>ID SHA256 SCOPE[,SCOPE] [DOMAIN[,DOMAIN]]</c>, entries separated by ';'.</summary>
    public static IReadOnlyList<ApiToken> ParseTokenList(string value)
    {
        var list = new List<ApiToken>();
        foreach (var entry in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length is < 3 or > 4 || !TokenSecret.IsSha256Hex(parts[1].ToLowerInvariant()))
            {
                throw new StartupException("CALLCLUSTER_TOKENS: each entry is 'ID SHA256 SCOPE[,SCOPE] [DOMAIN[,DOMAIN]]', " +
                    "entries separated by ';' (the entry starting '" + parts.FirstOrDefault() + "' is not)");
            }

            list.Add(new ApiToken(parts[0], parts[1].ToLowerInvariant(), Scopes.Parse(parts[2].Split(',')),
                parts.Length == 4 ? parts[3].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(NormalizeDomain).ToList() : []));
        }

        return list;
    }
}
