using System.Net;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using CallCluster.Hosting.Admin.Health;
using CallCluster.Hosting.Metrics;
using CallCluster.Hosting.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallCluster.Hosting.Admin;

/// <summary>The admin endpoint of a CallCluster process: callctl's palettes (<c>/admin/v1</c>), the Kubernetes
/// probes (<c>/healthz/live</c>, <c>/healthz/ready</c>, ASP.NET Core health checks tagged <see cref="HealthTags"/>)
/// and Prometheus <c>/metrics</c>, on Kestrel at
/// <c>callcluster.admin.host:port</c> (127.0.0.1:9110 by default). It stops by itself in CoordinatedShutdown's
/// last phase, so probes and <c>callctl</c> keep working while the node leaves the cluster.</summary>
public sealed class AdminServer : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(3);

    private static readonly EndpointPolicy LoopbackAdmin = EndpointPolicy.LoopbackCalls with { Scopes = [Security.Scopes.Admin] };
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping;
    private readonly Dictionary<string, IAdminPalette> _palettes;
    private int _disposed;

    private AdminServer(WebApplication app, CancellationTokenSource stopping, Dictionary<string, IAdminPalette> palettes)
    {
        _app = app;
        _stopping = stopping;
        _palettes = palettes;
    }

    /// <summary>The address actually bound (the real port when the configured one is 0).</summary>
    public IPEndPoint Endpoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Starts the endpoint and the cluster metrics collector.</summary>
    /// <param name="extraPalettes">Process-specific palettes (the node's <c>calls</c>, <c>commands</c>, <c>proxy</c>);
    /// names must be unique and not <c>cluster</c>/<c>sharding</c>.</param>
    /// <param name="healthChecks">Adds the process's own checks (e.g. the OpenSIPS connector), tagged
    /// <see cref="HealthTags.Ready"/> or <see cref="HealthTags.Live"/>; their dependencies come as arguments
    /// (<c>AddTypeActivatedCheck</c>) or from the ActorSystem, the only service registered. <c>/healthz/ready</c> is
    /// 200 only when this member is Up and every ready check is healthy. Null: member Up is enough.</param>
    public static async Task<AdminServer> StartAsync(ActorSystem system, AdminSettings settings,
        IReadOnlyList<IAdminPalette>? extraPalettes = null, Action<IHealthChecksBuilder>? healthChecks = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        try
        {
            return await StartOnAsync(system, settings, extraPalettes, healthChecks, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (PortInUse.Is(e) && settings.PortIsDefault)
        {
            // The shipped default is shared by every process on the host: a second one that did not ask for 9110 takes
            // any free port instead of dying, and says which (docs/faults-and-bad-input.md).
            system.Log.Warning("Admin port {0}:{1} is in use and was not asked for ({2} unset): the admin endpoint takes a " +
                "free port instead; set {2} or callcluster.admin.port to pin it", settings.Host, settings.Port, AdminProtocol.PortVariable);
            return await StartOnAsync(system, settings with { Port = 0, PortIsDefault = false }, extraPalettes, healthChecks, ct)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (PortInUse.Is(e))
        {
            throw PortInUse.Error("Admin endpoint", $"{settings.Host}:{settings.Port}",
                $"callcluster.admin.port or {AdminProtocol.PortVariable}", e);
        }
    }

    private static async Task<AdminServer> StartOnAsync(ActorSystem system, AdminSettings settings,
        IReadOnlyList<IAdminPalette>? extraPalettes, Action<IHealthChecksBuilder>? healthChecks, CancellationToken ct)
    {
        var security = Security.CallClusterSecurityExtension.For(system);
        var palettes = new Dictionary<string, IAdminPalette>(StringComparer.Ordinal);
        foreach (var palette in new IAdminPalette[]
                     {
                         new ClusterPalette(system), new ShardingPalette(system, settings.AskTimeout),
                         new TokensPalette(security, settings.AskTimeout),
                     }
                     .Concat(extraPalettes ?? []))
        {
            if (!palettes.TryAdd(palette.Name, palette))
            {
                throw new ArgumentException($"two admin palettes are named '{palette.Name}'", nameof(extraPalettes));
            }
        }

        CallClusterMetrics.StartClusterCollector(system, settings.MetricsRefresh);

        var builder = CallCluster.Hosting.Web.EmbeddedWebHost.CreateBuilder(settings.Host, settings.Port, StopTimeout,
            Logging.CallClusterLogging.For(system));
        // Loopback: whoever can reach it is on the host already (and a web page is stopped by the Origin check).
        // Anywhere else: the palettes need a token with the admin scope; the probes and metrics stay open.
        var open = !settings.TokenRequired;
        builder.Services.AddCallClusterAuthentication(security, () => open);
        builder.Services.AddSingleton(system);
        var checks = builder.Services.AddHealthChecks()
            .AddCheck<ActorSystemRunningCheck>(ActorSystemRunningCheck.Name, tags: [HealthTags.Live])
            .AddCheck<MemberUpCheck>(MemberUpCheck.Name, tags: [HealthTags.Ready]);
        healthChecks?.Invoke(checks);
        var app = builder.Build();
        // A page the operator visits could otherwise POST to http://127.0.0.1:9110/admin/v1/cluster/leave.
        app.UseCallClusterSecurity(new Security.OriginPolicy([], settings.Host,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        var stopping = new CancellationTokenSource();
        var server = new AdminServer(app, stopping, palettes);

        var address = Cluster.Get(system).SelfAddress.ToString();
        app.MapHealthChecks(AdminProtocol.LivePath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthTags.Live),
            ResponseWriter = (context, report) => ProbeResponses.WriteLiveAsync(context, report, address),
        });
        app.MapHealthChecks(AdminProtocol.ReadyPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthTags.Ready),
            ResponseWriter = ProbeResponses.WriteReadyAsync,
        });
        app.MapGet(AdminProtocol.MetricsPath, MetricsAsync);
        // Bound to every address (Kubernetes, for the probes): a request from the pod itself (kubectl exec callctl, the
        // preStop hook's `callctl cluster leave`) comes from loopback and needs no token; anything else needs `admin`.
        // require-token = on: every caller, loopback included, needs the token.
        var fromPod = settings.RequireToken is null ? LoopbackAdmin : EndpointPolicy.TokensOnly;
        app.MapGet(AdminProtocol.ApiPath, server.ListAsync).RequireCallClusterToken(Security.Scopes.Admin)
            .WithEndpointPolicy("admin-loopback", fromPod);
        app.MapPost(AdminProtocol.ApiPath + "/{palette}/{verb}", server.RunAsync).RequireCallClusterToken(Security.Scopes.Admin)
            .WithEndpointPolicy("admin-loopback", fromPod);

        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            stopping.Dispose();
            throw;
        }

        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        server.Endpoint = new IPEndPoint(
            IPAddress.TryParse(bound.Host, out var ip) ? ip : IPAddress.Loopback, bound.Port);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "admin-endpoint-stop",
            async () =>
            {
                await server.DisposeAsync().ConfigureAwait(false);
                return Akka.Done.Instance;
            });
        system.Log.Info("Admin endpoint (callctl, /healthz, /metrics) on http://{0}", server.Endpoint);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        using (var cts = new CancellationTokenSource(StopTimeout))
        {
            try
            {
                await _app.StopAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Open streams (cluster tail) are aborted by Kestrel.
            }
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static async Task MetricsAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted)
            .ConfigureAwait(false);
    }

    private async Task ListAsync(HttpContext context)
    {
        IReadOnlyList<AdminPaletteInfo> list = _palettes.Values
            .Select(p => new AdminPaletteInfo(p.Name, p.Description, p.Verbs.Select(v => v.ToInfo()).ToList()))
            .ToList();
        context.Response.ContentType = AdminProtocol.JsonContentType;
        await JsonSerializer.SerializeAsync(context.Response.Body, list, AdminJsonContext.Default.IReadOnlyListAdminPaletteInfo,
            context.RequestAborted).ConfigureAwait(false);
    }

    private async Task RunAsync(HttpContext context, string palette, string verb)
    {
        AdminRequest? request;
        try
        {
            request = context.Request.ContentLength is 0
                ? new AdminRequest([])
                : await JsonSerializer.DeserializeAsync(context.Request.Body, AdminJsonContext.Default.AdminRequest,
                    context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await WriteResultAsync(context, AdminResult.Usage("malformed request body: " + e.Message)).ConfigureAwait(false);
            return;
        }

        var args = request?.Args ?? [];
        if (!_palettes.TryGetValue(palette, out var target))
        {
            await WriteResultAsync(context, AdminResult.Usage(
                $"unknown palette '{palette}' (known: {string.Join(", ", _palettes.Keys.Order(StringComparer.Ordinal))})")).ConfigureAwait(false);
            return;
        }

        var definition = target.Verbs.FirstOrDefault(v => v.Name == verb);
        if (definition is null)
        {
            await WriteResultAsync(context, AdminResult.Usage(
                $"unknown verb '{palette} {verb}' (known: {string.Join(", ", target.Verbs.Select(v => v.Name))})")).ConfigureAwait(false);
            return;
        }

        if (args.Count < definition.MinArgs || args.Count > definition.MaxArgs)
        {
            await WriteResultAsync(context, AdminResult.Usage($"usage: {palette} {verb} {definition.Usage}".TrimEnd()))
                .ConfigureAwait(false);
            return;
        }

        var command = new AdminCommand(palette, verb, args);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        if (definition.Streaming)
        {
            await StreamAsync(context, target, command, linked.Token).ConfigureAwait(false);
            return;
        }

        AdminResult result;
        try
        {
            result = await target.ExecuteAsync(command, linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !linked.IsCancellationRequested)
        {
            result = AdminResult.Failed($"{palette} {verb} failed: {e.GetType().Name}: {e.Message}");
        }

        await WriteResultAsync(context, result).ConfigureAwait(false);
    }

    private static async Task StreamAsync(HttpContext context, IAdminPalette palette, AdminCommand command, CancellationToken ct)
    {
        context.Response.ContentType = AdminProtocol.NdjsonContentType;
        var body = context.Response.Body;
        try
        {
            await context.Response.StartAsync(ct).ConfigureAwait(false);
            await foreach (var item in palette.StreamAsync(command, ct).ConfigureAwait(false))
            {
                await JsonSerializer.SerializeAsync(body, item, AdminJsonContext.Default.AdminResult, ct).ConfigureAwait(false);
                await body.WriteAsync("\n"u8.ToArray(), ct).ConfigureAwait(false);
                await body.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client disconnected (Ctrl-C) or the server is stopping: the normal end of a stream.
        }
    }

    private static async Task WriteResultAsync(HttpContext context, AdminResult result)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = AdminProtocol.JsonContentType;
        await JsonSerializer.SerializeAsync(context.Response.Body, result, AdminJsonContext.Default.AdminResult,
            context.RequestAborted).ConfigureAwait(false);
    }
}
