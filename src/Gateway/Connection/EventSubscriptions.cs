using System.Collections.Immutable;
using System.Globalization;
using Akka.Actor;

namespace CallCluster.Gateway.Connection;

/// <summary>A connection's call-event subscriptions (EventsSubscribe, docs/call-events.md): each a child actor under an
/// id unique on the connection ("sub-1", "sub-2", ...; ids are never reused), at most <see cref="Max"/> at once so one
/// client cannot make the gateway poll the event log without bound. Immutable: the actor replaces its value.</summary>
internal sealed record EventSubscriptions
{
    public const int Max = 16;

    public static readonly EventSubscriptions None = new();

    private ImmutableDictionary<string, IActorRef> ById { get; init; } = ImmutableDictionary.Create<string, IActorRef>(StringComparer.Ordinal);

    /// <summary>Ids handed out so far on this connection.</summary>
    private int Issued { get; init; }

    public int Count => ById.Count;

    public bool Full => ById.Count >= Max;

    /// <summary>The id the next subscription gets.</summary>
    public string NextId => "sub-" + (Issued + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>The subscription <see cref="NextId"/> started as <paramref name="child"/>.</summary>
    public EventSubscriptions Add(IActorRef child) => this with { ById = ById.SetItem(NextId, child), Issued = Issued + 1 };

    /// <summary>Without <paramref name="id"/>; <paramref name="child"/> is the actor to stop, null when the id is not a
    /// subscription of this connection (then the value is unchanged).</summary>
    public EventSubscriptions Remove(string id, out IActorRef? child) =>
        ById.TryGetValue(id, out child) ? this with { ById = ById.Remove(id) } : this;
}
