using Akka.Configuration;

namespace CallCluster.Node.Webhooks;

/// <summary>One endpoint: where to POST, with which secret, which events (empty: all).</summary>
public sealed record WebhookEndpointSpec(string Name, string Url, string Secret, IReadOnlyList<string> Events, string Source)
{
    /// <summary>Names appear in persistence ids and metric labels: letters, digits, '-' and '_' only.</summary>
    public static string? Invalid(string name, string url, IReadOnlyList<string> events)
    {
        if (name.Length is 0 or > 64 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))
        {
            return "name: 1-64 letters, digits, '-' or '_'";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return "url: an absolute http:// or https:// URL";
        }

        var unknown = events.Where(e => !Contracts.Events.CallEventNames.All.Contains(e)).ToList();
        return unknown.Count > 0 ? "events: unknown event name(s) " + string.Join(", ", unknown) : null;
    }
}

/// <summary><c>callcluster.webhooks</c> (docs/call-events.md, "Webhooks"): the endpoints given in configuration and how
/// every endpoint delivers.</summary>
/// <param name="Concurrency">POSTs in flight per endpoint, at most.</param>
/// <param name="MaxAttempts">Attempts per delivery before it goes to the dead-letter list.</param>
/// <param name="MinBackoff">The wait before the first retry; doubled for each next one up to <paramref name="MaxBackoff"/>,
/// each wait then spread by ±<paramref name="Jitter"/> of itself.</param>
/// <param name="CommitEvery">How often the endpoint's outbox position is persisted; after a crash at most this much
/// (plus what was in flight) is delivered again.</param>
/// <param name="MaxPending">Events read and not yet delivered, per endpoint: past it the endpoint stops reading the log.</param>
public sealed record WebhookSettings(
    IReadOnlyList<WebhookEndpointSpec> Endpoints,
    int Concurrency,
    int MaxAttempts,
    TimeSpan MinBackoff,
    TimeSpan MaxBackoff,
    double Jitter,
    TimeSpan RequestTimeout,
    TimeSpan CommitEvery,
    int MaxPending,
    int DeadLettersKept)
{
    public const string Path = "callcluster.webhooks";

    public static WebhookSettings FromConfig(Config config)
    {
        var c = config.HasPath(Path) ? config.GetConfig(Path) : Config.Empty;
        var endpoints = new List<WebhookEndpointSpec>();
        var url = c.GetString("url", "");
        if (!string.IsNullOrWhiteSpace(url))
        {
            // CALLCLUSTER_WEBHOOK_URL / _SECRET: one endpoint for every event.
            endpoints.Add(new WebhookEndpointSpec("default", url, c.GetString("secret", ""), [], "config"));
        }

        if (c.HasPath("endpoints") && c.GetConfig("endpoints") is { IsEmpty: false } section)
        {
            foreach (var name in section.Root.GetObject().Items.Keys.Order(StringComparer.Ordinal))
            {
                var e = section.GetConfig(name);
                endpoints.Add(new WebhookEndpointSpec(name, e.GetString("url", ""), e.GetString("secret", ""),
                    e.HasPath("events") ? e.GetStringList("events").ToList() : [], "config"));
            }
        }

        foreach (var e in endpoints)
        {
            if (WebhookEndpointSpec.Invalid(e.Name, e.Url, e.Events) is { } why)
            {
                throw new ArgumentException($"{Path}: endpoint {e.Name}: {why}");
            }

            if (e.Secret.Length == 0)
            {
                throw new ArgumentException($"{Path}: endpoint {e.Name} has no secret (CALLCLUSTER_WEBHOOK_SECRET): receivers could not check its POSTs");
            }
        }

        return new WebhookSettings(endpoints,
            Math.Max(1, c.GetInt("concurrency", 8)),
            Math.Max(1, c.GetInt("max-attempts", 10)),
            c.GetTimeSpan("min-backoff", TimeSpan.FromMilliseconds(500)),
            c.GetTimeSpan("max-backoff", TimeSpan.FromMinutes(5)),
            Math.Clamp(c.GetDouble("jitter", 0.3), 0, 1),
            c.GetTimeSpan("request-timeout", TimeSpan.FromSeconds(10)),
            c.GetTimeSpan("commit-every", TimeSpan.FromMilliseconds(250)),
            Math.Max(1, c.GetInt("max-pending", 1000)),
            Math.Max(1, c.GetInt("dead-letters-kept", 1000)));
    }

    /// <summary>The wait before attempt <paramref name="attempt"/>+1 (attempt ≥ 1): exponential, capped, jittered.</summary>
    public TimeSpan Backoff(int attempt, double random01)
    {
        var exponential = MinBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (1 + (Jitter * ((2 * random01) - 1))));
    }
}
