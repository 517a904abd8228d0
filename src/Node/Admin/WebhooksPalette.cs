using System.Globalization;
using Akka.Actor;
using CallCluster.Contracts.Events;
using CallCluster.Hosting.Admin;

namespace CallCluster.Node.Admin;

/// <summary><c>callctl webhooks list | add | remove | dead</c>: the webhook registry singleton, from any call node.</summary>
public sealed class WebhooksPalette(IActorRef registry, TimeSpan askTimeout) : IAdminPalette
{
    private static readonly IReadOnlyList<string> ListColumns = ["name", "url", "events", "source", "offset", "in_flight", "pending", "dead"];
    private static readonly IReadOnlyList<string> DeadColumns = ["delivery_id", "event", "callid", "attempts", "last_error", "at"];

    public string Name => "webhooks";

    public string Description => "webhook endpoints of call events: list, add, remove, dead <name>";

    public IReadOnlyList<AdminVerb> Verbs { get; } =
    [
        new("list", "", "every endpoint with its outbox position, deliveries in flight and pending, dead letters"),
        new("add", "<name> <url> <secret> [event,event...]", "adds an endpoint (all events when none are named)", 3, 4),
        new("remove", "<name>", "removes an endpoint added with add", 1, 1),
        new("dead", "<name>", "the endpoint's dead-letter list: deliveries that used up their retries", 1, 1),
    ];

    public async Task<AdminResult> ExecuteAsync(AdminCommand command, CancellationToken ct)
    {
        switch (command.Verb)
        {
            case "add":
            {
                var events = command.Args.Count > 3
                    ? command.Args[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    : [];
                var changed = await registry.Ask<WebhookChanged>(new AddWebhook(command.Args[0], command.Args[1], command.Args[2], events),
                    askTimeout, ct).ConfigureAwait(false);
                return changed.Error is null ? AdminResult.Done($"webhook {changed.Name} added") : AdminResult.Failed(changed.Error);
            }

            case "remove":
            {
                var changed = await registry.Ask<WebhookChanged>(new RemoveWebhook(command.Args[0]), askTimeout, ct).ConfigureAwait(false);
                return changed.Error is null ? AdminResult.Done($"webhook {changed.Name} removed") : AdminResult.Failed(changed.Error);
            }

            case "dead":
            {
                var list = await registry.Ask<WebhookDeadLetterList>(new ListWebhookDeadLetters(command.Args[0]), askTimeout, ct)
                    .ConfigureAwait(false);
                return list.Error is not null
                    ? AdminResult.Failed(list.Error)
                    : AdminResult.Ok(DeadColumns, list.Items.Select(d => (IReadOnlyList<string>)
                    [
                        d.DeliveryId, d.Event, d.CallId, d.Attempts.ToString(CultureInfo.InvariantCulture), d.LastError,
                        DateTimeOffset.FromUnixTimeMilliseconds(d.AtMs).ToString("O", CultureInfo.InvariantCulture),
                    ]).ToList());
            }

            default:
            {
                var list = await registry.Ask<WebhookList>(new ListWebhooks(), askTimeout, ct).ConfigureAwait(false);
                return AdminResult.Ok(ListColumns, list.Endpoints.Select(e => (IReadOnlyList<string>)
                [
                    e.Name, e.Url, e.Events.Count == 0 ? "*" : string.Join(",", e.Events), e.Source,
                    e.Offset.ToString(CultureInfo.InvariantCulture), e.InFlight.ToString(CultureInfo.InvariantCulture),
                    e.Pending.ToString(CultureInfo.InvariantCulture), e.DeadLetters.ToString(CultureInfo.InvariantCulture),
                ]).ToList());
            }
        }
    }
}
