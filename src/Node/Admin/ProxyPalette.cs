using System.Globalization;
using Akka.Actor;
using CallCluster.Hosting.Admin;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Admin;

/// <summary><c>proxy status</c>: this node's MI pool counters, its EVI listener counters, and the cluster's EVI
/// subscription (held by the singleton, wherever it runs).</summary>
public sealed class ProxyPalette(IActorRef miPool, EviListener evi, IActorRef subscriptions, TimeSpan askTimeout) : IAdminPalette
{
    private static readonly IReadOnlyList<string> Columns = ["item", "value"];

    public string Name => "proxy";

    public string Description => "the OpenSIPS connector: status";

    public IReadOnlyList<AdminVerb> Verbs { get; } = [new("status", "", "MI reachability, EVI counters, subscriptions and their expiry")];

    public async Task<AdminResult> ExecuteAsync(AdminCommand command, CancellationToken ct)
    {
        var mi = await miPool.Ask<MiStats>(GetMiStats.Instance, askTimeout, ct).ConfigureAwait(false);
        var rows = new List<IReadOnlyList<string>>
        {
            Row("mi.sent", mi.Sent), Row("mi.replied", mi.Replied), Row("mi.timed_out", mi.TimedOut),
            Row("mi.late", mi.Late), Row("mi.malformed", mi.Malformed), Row("mi.in_flight", mi.InFlight),
        };
        var stats = evi.Stats;
        rows.Add(["evi.listener", evi.AdvertisedSocket]);
        rows.AddRange([Row("evi.received", stats.Received), Row("evi.malformed", stats.Malformed),
            Row("evi.ignored", stats.Ignored), Row("evi.routed", stats.Routed)]);
        try
        {
            var subscription = await subscriptions.Ask<SubscriptionStatus>(GetSubscriptionStatus.Instance, askTimeout, ct).ConfigureAwait(false);
            rows.Add(["subscription.socket", subscription.Socket]);
            rows.AddRange(subscription.Events.Select(e => (IReadOnlyList<string>)
            [
                "subscription." + e.Event,
                (e.Subscribed ? "subscribed" : "NOT subscribed") +
                (e.ExpiresAt is { } at ? " until " + at.ToString("O", CultureInfo.InvariantCulture) : "") +
                (e.LastError is { } error ? " (last error: " + error + ")" : ""),
            ]));
        }
        catch (AskTimeoutException)
        {
            rows.Add(["subscription", "the subscription singleton did not answer"]);
        }

        return AdminResult.Ok(Columns, rows);
    }

    private static IReadOnlyList<string> Row(string name, long value) => [name, value.ToString(CultureInfo.InvariantCulture)];
}
