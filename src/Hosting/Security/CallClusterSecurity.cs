using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using CallCluster.Contracts.Sharding;

namespace CallCluster.Hosting.Security;

/// <summary>A process's security state, shared by its gateway and its admin endpoint: the settings, the token cache
/// and (in a cluster) the token registry's proxy. One per ActorSystem through <see cref="CallClusterSecurityExtension"/>;
/// tests build their own.</summary>
public sealed class CallClusterSecurity
{
    public const string RegistryName = "api-token-registry";

    public CallClusterSecurity(SecuritySettings settings, TokenCache cache, IActorRef? registry)
    {
        Settings = settings;
        Cache = cache;
        Registry = registry;
        Tickets = new TicketStore(settings.TicketTtl);
    }

    public SecuritySettings Settings { get; }

    public TokenCache Cache { get; }

    /// <summary>The token registry singleton's proxy; null outside a cluster (configured tokens only).</summary>
    public IActorRef? Registry { get; }

    public TicketStore Tickets { get; }

    /// <summary>Configured tokens only, no registry: a gateway in a test or a process that is not a cluster member.</summary>
    public static CallClusterSecurity Standalone(SecuritySettings settings) =>
        new(settings, new TokenCache(settings.Tokens, hasRegistry: false), null);

    internal static CallClusterSecurity Create(ExtendedActorSystem system)
    {
        var settings = SecuritySettings.FromConfig(system.Settings.Config);
        if (system.Provider is not Akka.Cluster.ClusterActorRefProvider)
        {
            return Standalone(settings);
        }

        var cache = new TokenCache(settings.Tokens, hasRegistry: true);
        var registry = system.ActorOf(ClusterSingletonProxy.Props("/user/" + RegistryName,
            ClusterSingletonProxySettings.Create(system).WithRole(ShardRegions.CallNodeRole)), RegistryName + "-proxy");
        system.ActorOf(TokenCacheFeeder.Props(cache, registry, settings.RegistryPoll), "api-token-cache");
        return new CallClusterSecurity(settings, cache, registry);
    }
}

/// <summary>One <see cref="CallClusterSecurity"/> per ActorSystem.</summary>
public sealed class CallClusterSecurityExtension : ExtensionIdProvider<CallClusterSecurityHolder>
{
    public static CallClusterSecurity For(ActorSystem system) => system.WithExtension<CallClusterSecurityHolder, CallClusterSecurityExtension>().Security;

    public override CallClusterSecurityHolder CreateExtension(ExtendedActorSystem system) => new(CallClusterSecurity.Create(system));
}

public sealed class CallClusterSecurityHolder(CallClusterSecurity security) : IExtension
{
    public CallClusterSecurity Security { get; } = security;
}
