using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Akka.Management.Dsl;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json;
using AkkaClusterBootstrap = Akka.Management.Cluster.Bootstrap.ClusterBootstrap;

namespace CallCluster.Hosting;

/// <summary>The management endpoint Cluster Bootstrap's contact points probe: <c>GET /bootstrap/seed-nodes</c> on
/// <c>akka.management.http.hostname:port</c>, answered exactly as Akka.Management's own route does (its JSON protocol
/// classes, serialized with Newtonsoft.Json as the probing side deserializes them).
/// <para>Served on Kestrel rather than by <c>AkkaManagement.Start()</c>: Akka.Management's HTTP server (Akka.Http.Shim)
/// needs Ceen.Httpd 0.9.9, which the package registry here lacks; 0.9.10 resolves instead and lacks the method the
/// shim calls (MissingMethodException at bind). Bootstrap itself (discovery, probing, joining) is Akka.Management's.</para></summary>
public sealed class ManagementEndpoint : IAsyncDisposable
{
    /// <summary>As Akka.Management: at most this many members are reported to a probing contact point.</summary>
    public const int MaxSeedNodesToExpose = 5;

    public const string SeedNodesPath = "/bootstrap/seed-nodes";

    private readonly WebApplication _app;

    private ManagementEndpoint(WebApplication app) => _app = app;

    /// <summary>Binds the endpoint, registers it with Cluster Bootstrap as this node's contact point, then starts
    /// bootstrap (which joins or forms the cluster once discovery has found it). The endpoint is unbound in
    /// CoordinatedShutdown's service-unbind phase.</summary>
    public static async Task<ManagementEndpoint> StartWithBootstrapAsync(ActorSystem system)
    {
        var http = system.Settings.Config.GetConfig("akka.management.http");
        var host = http.GetString("hostname");
        var port = http.GetInt("port");
        var bindHost = http.GetString("bind-hostname", "");
        var discovery = system.Settings.Config.GetConfig("akka.management.cluster.bootstrap.contact-point-discovery");
        system.Log.Info(
            "Cluster Bootstrap: management endpoint http://{0}:{1}, discovery {2} of service {3}, {4} contact points required",
            host, port, discovery.GetString("discovery-method"), discovery.GetString("service-name"),
            discovery.GetInt("required-contact-point-nr"));

        var builder = Web.EmbeddedWebHost.CreateBuilder(string.IsNullOrEmpty(bindHost) ? host : bindHost, port,
            TimeSpan.FromSeconds(2), Logging.CallClusterLogging.For(system));
        var app = builder.Build();
        app.MapGet(SeedNodesPath, context => SeedNodesAsync(system, context));
        await app.StartAsync().ConfigureAwait(false);
        var endpoint = new ManagementEndpoint(app);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "management-endpoint-unbind",
            async () =>
            {
                await endpoint.DisposeAsync().ConfigureAwait(false);
                return Akka.Done.Instance;
            });

        var bootstrap = AkkaClusterBootstrap.Get(system);
        // Routes() is how Akka.Management hands bootstrap its own contact point (the base URI the others probe).
        _ = bootstrap.Routes(ManagementRouteProviderSettings.Create(new Uri($"http://{host}:{port}/"), true));
        await bootstrap.Start().ConfigureAwait(false);
        return endpoint;
    }

    /// <summary>The members this node reports: Up, WeaklyUp or Joining and reachable; null (503) while it is leaving
    /// or after it left.</summary>
    public static string? SeedNodesJson(ActorSystem system)
    {
        var cluster = Cluster.Get(system);
        // Before this node joins, Akka.NET reports its self member as Removed: that is "no cluster yet" (an empty list,
        // so that the lowest-addressed contact point forms one), not a member that has left.
        if (cluster.IsTerminated
            || cluster.SelfMember.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving)
        {
            return null;
        }

        var state = cluster.State;
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m))
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Take(MaxSeedNodesToExpose)
            .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
            .ToImmutableList();
        return JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(cluster.SelfMember.UniqueAddress.Address, members));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping anyway
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task SeedNodesAsync(ActorSystem system, HttpContext context)
    {
        var json = SeedNodesJson(system);
        if (json is null)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json).ConfigureAwait(false);
    }
}
