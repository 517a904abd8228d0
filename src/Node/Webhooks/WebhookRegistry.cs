using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using CallCluster.Contracts.Events;
using CallCluster.Gateway.Events;

namespace CallCluster.Node.Webhooks;

/// <summary>The webhook endpoints of the cluster, a singleton among call nodes: those of the configuration, and those
/// added and removed at run time (callctl webhooks add|remove), which it persists. It runs one
/// <see cref="WebhookEndpoint"/> per endpoint as its child (under a back-off supervisor: a journal failure stops an
/// endpoint for a moment, never the registry), so the endpoints move with the singleton when its node leaves.
///
/// An endpoint's outbox persistence id is <c>webhook-{name}</c> for configured ones and <c>webhook-{name}-{n}</c>
/// (n: the sequence number of its registration) for added ones: an endpoint removed and added again starts afresh
/// instead of inheriting the old position and dead letters.</summary>
public sealed class WebhookRegistry : UntypedPersistentActor
{
    public const string Id = "webhook-registry";

    private readonly WebhookSettings _settings;
    private readonly EventSource _events;
    private readonly WebhookSender _sender;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ImmutableSortedDictionary<string, (WebhookEndpointSpec Spec, string PersistenceId)> _added =
        ImmutableSortedDictionary<string, (WebhookEndpointSpec, string)>.Empty;
    private readonly Dictionary<string, IActorRef> _running = new(StringComparer.Ordinal);

    public WebhookRegistry(WebhookSettings settings, EventSource events, WebhookSender sender)
    {
        _settings = settings;
        _events = events;
        _sender = sender;
    }

    public override string PersistenceId => Id;

    public static Props Props(WebhookSettings settings, EventSource events, WebhookSender sender) =>
        Akka.Actor.Props.Create(() => new WebhookRegistry(settings, events, sender));

    private bool IsConfigured(string name) => _settings.Endpoints.Any(e => e.Name == name);

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case WebhookRegistered r:
                _added = _added.SetItem(r.Name, (new WebhookEndpointSpec(r.Name, r.Url, r.Secret, r.Events, "admin"), $"webhook-{r.Name}-{LastSequenceNr}"));
                break;
            case WebhookRemoved r:
                _added = _added.Remove(r.Name);
                break;
            case RecoveryCompleted:
                foreach (var spec in _settings.Endpoints)
                {
                    StartEndpoint(spec, $"webhook-{spec.Name}");
                }

                foreach (var (name, (spec, persistenceId)) in _added)
                {
                    if (IsConfigured(name))
                    {
                        _log.Warning("Webhook {0} is both configured and added at run time: the configured one is used", name);
                        continue;
                    }

                    StartEndpoint(spec, persistenceId);
                }

                break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case AddWebhook add:
                OnAdd(add);
                break;
            case RemoveWebhook remove:
                OnRemove(remove);
                break;
            case ListWebhooks:
                ListAsync().PipeTo(Sender);
                break;
            case ListWebhookDeadLetters list when _running.TryGetValue(list.Name, out var endpoint):
                endpoint.Forward(list);
                break;
            case ListWebhookDeadLetters list:
                Sender.Tell(new WebhookDeadLetterList(list.Name, [], $"no webhook endpoint {list.Name}"));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnAdd(AddWebhook add)
    {
        var error = WebhookEndpointSpec.Invalid(add.Name, add.Url, add.Events)
            ?? (add.Secret.Length == 0 ? "secret: required, receivers check the signature with it" : null)
            ?? (_running.ContainsKey(add.Name) ? $"name: webhook {add.Name} exists (remove it first)" : null);
        if (error is not null)
        {
            Sender.Tell(new WebhookChanged(add.Name, error));
            return;
        }

        var sender = Sender;
        Persist(new WebhookRegistered(add.Name, add.Url, add.Secret, add.Events), e =>
        {
            var spec = new WebhookEndpointSpec(e.Name, e.Url, e.Secret, e.Events, "admin");
            var persistenceId = $"webhook-{e.Name}-{LastSequenceNr}";
            _added = _added.SetItem(e.Name, (spec, persistenceId));
            StartEndpoint(spec, persistenceId);
            sender.Tell(new WebhookChanged(e.Name, null));
        });
    }

    private void OnRemove(RemoveWebhook remove)
    {
        if (IsConfigured(remove.Name))
        {
            Sender.Tell(new WebhookChanged(remove.Name, $"webhook {remove.Name} comes from the configuration: remove it there"));
            return;
        }

        if (!_added.ContainsKey(remove.Name))
        {
            Sender.Tell(new WebhookChanged(remove.Name, $"no webhook endpoint {remove.Name}"));
            return;
        }

        var sender = Sender;
        Persist(new WebhookRemoved(remove.Name), e =>
        {
            _added = _added.Remove(e.Name);
            if (_running.Remove(e.Name, out var endpoint))
            {
                Context.Stop(endpoint);
            }

            sender.Tell(new WebhookChanged(e.Name, null));
        });
    }

    private void StartEndpoint(WebhookEndpointSpec spec, string persistenceId)
    {
        var props = BackoffSupervisor.Props(Backoff.OnStop(WebhookEndpoint.Props(spec, persistenceId, _settings, _events, _sender),
            "outbox", TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), 0.2, -1));
        // The actor name carries the persistence id: a removed endpoint's actor may still be stopping when its name is added again.
        _running[spec.Name] = Context.ActorOf(props, Uri.EscapeDataString(persistenceId));
        _log.Info("Webhook {0} ({1}) delivers to {2}", spec.Name, spec.Source, spec.Url);
    }

    private async Task<WebhookList> ListAsync()
    {
        var asks = _running.Values.Select(async endpoint =>
        {
            try
            {
                return await endpoint.Ask<WebhookInfo>(GetWebhookInfo.Instance, TimeSpan.FromSeconds(3)).ConfigureAwait(false);
            }
            catch (AskTimeoutException)
            {
                return null; // starting (recovering its outbox) or restarting after a journal failure
            }
        }).ToList();
        var infos = await Task.WhenAll(asks).ConfigureAwait(false);
        return new WebhookList(infos.OfType<WebhookInfo>().OrderBy(i => i.Name, StringComparer.Ordinal).ToList());
    }
}
