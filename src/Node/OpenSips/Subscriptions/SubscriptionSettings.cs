using Akka.Configuration;

namespace CallCluster.Node.OpenSips;

/// <summary>HOCON <c>callcluster.evi.subscription</c>. OpenSIPS drops a subscriber silently at expiry,
/// so <see cref="RefreshEvery"/> must be well below <see cref="Expire"/>.</summary>
public sealed record SubscriptionSettings(TimeSpan Expire, TimeSpan RefreshEvery, TimeSpan RetryAfter)
{
    /// <summary>The events subscribed to (the three the dialog entities consume).</summary>
    public IReadOnlyList<string> Events { get; init; } =
        [EviDatagramParser.DialogStateChanged, EviDatagramParser.CallTransfer, EviDatagramParser.CallHold];

    /// <summary>Upper bound for answering <see cref="Unsubscribe"/> should the MI pool not answer.</summary>
    public TimeSpan UnsubscribeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the proxy is asked (<c>subscribers_list</c>) whether it still lists this node's socket; a
    /// restarted OpenSIPS has forgotten every subscription and says nothing, so without the check events stop until the
    /// next refresh. Zero = no check. HOCON <c>check-every</c> (default 3 s): a proxy that comes back is subscribed
    /// again within about this interval plus one round trip.</summary>
    public TimeSpan CheckEvery { get; init; } = TimeSpan.Zero;

    /// <summary>The <c>expire</c> param: whole seconds, at least 1 (0 would unsubscribe).</summary>
    public int ExpireSeconds => Math.Max(1, (int)Math.Ceiling(Expire.TotalSeconds));

    /// <summary>Reads <c>callcluster.evi.subscription</c> from a root config (or the block itself).</summary>
    public static SubscriptionSettings FromConfig(Config config)
    {
        var block = config.HasPath("callcluster.evi.subscription") ? config.GetConfig("callcluster.evi.subscription") : config;
        var settings = new SubscriptionSettings(
            block.GetTimeSpan("expire", TimeSpan.FromSeconds(300)),
            block.GetTimeSpan("refresh-every", TimeSpan.FromSeconds(100)),
            block.GetTimeSpan("retry-after", TimeSpan.FromSeconds(2)))
        {
            CheckEvery = block.GetTimeSpan("check-every", TimeSpan.FromSeconds(3)),
        };
        settings.Validate();
        return settings;
    }

    internal void Validate()
    {
        if (Expire < TimeSpan.FromSeconds(1)) throw new ConfigurationException("subscription expire must be >= 1s");
        if (RefreshEvery <= TimeSpan.Zero || RefreshEvery >= Expire)
            throw new ConfigurationException("subscription refresh-every must be positive and below expire");
        if (CheckEvery < TimeSpan.Zero) throw new ConfigurationException("subscription check-every must be >= 0");
        if (RetryAfter <= TimeSpan.Zero) throw new ConfigurationException("subscription retry-after must be positive");
    }
}
