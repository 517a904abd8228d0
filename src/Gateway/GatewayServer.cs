using System.Net;
using Akka.Actor;
using CallCluster.Gateway.Protocol;
using CallCluster.Gateway.Rest;
using CallCluster.Gateway.Security;
using CallCluster.Gateway.Transport;
using CallCluster.Gateway.WebConsole;
using CallCluster.Hosting.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallCluster.Gateway;

/// <summary>Kestrel serving the Call API WebSocket at <see cref="GatewaySettings.Path"/>; one session (receive
/// loop + connection actor + outbound stream) per connection. The same host serves the REST API (/v1, Rest) and the
/// web console (/console/, WebConsole).</summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _shutdown;
    private ICancelable? _insecureWarning;
    private int _disposed;

    private readonly ActorSystem _system;
    private readonly IActorRef _restStarter;
    private readonly WebhookStatusQuery _webhooks;

    private GatewayServer(WebApplication app, CancellationTokenSource shutdown, Uri endpoint,
        IReadOnlyDictionary<WireDialect, Uri> dialectEndpoints, Uri httpEndpoint, ActorSystem system, IActorRef restStarter,
        WebhookStatusQuery webhooks)
    {
        _webhooks = webhooks;
        HttpEndpoint = httpEndpoint;
        _system = system;
        _restStarter = restStarter;
        DialectEndpoints = dialectEndpoints;
        _app = app;
        _shutdown = shutdown;
        Endpoint = endpoint;
    }

    /// <summary>ws://host:actualPort/path (the real port when the settings asked for port 0).</summary>
    public Uri Endpoint { get; }

    /// <summary>A URL serving each dialect (the first path listed for it in <see cref="GatewaySettings.Endpoints"/>).</summary>
    public IReadOnlyDictionary<WireDialect, Uri> DialectEndpoints { get; }

    /// <summary>http://host:actualPort/: the REST API under /v1, its OpenAPI document at /openapi.json.</summary>
    public Uri HttpEndpoint { get; }

    /// <summary>Where the original Call API's dialect is served; null when nowhere.</summary>
    public Uri? CompatEndpoint => DialectEndpoints.GetValueOrDefault(WireDialect.Original);

    /// <summary>Where a browser gets a once-only ticket with its token: the Call API path + this.</summary>
    public const string TicketSuffix = "/ticket";

    /// <param name="dialogRegion">The dialog shard region or proxy; with it the gateway serves CallGet.</param>
    /// <param name="events">The call-event log; with it the gateway serves EventsSubscribe.</param>
    /// <param name="security">Tokens, origins, TLS, limits (docs/security.md); null: the ActorSystem's, from
    /// <c>callcluster.security</c>.</param>
    public static async Task<GatewayServer> StartAsync(ActorSystem system, IActorRef commandRegion, GatewaySettings settings,
        CancellationToken ct = default, IActorRef? dialogRegion = null, Events.EventSource? events = null,
        CallClusterSecurity? security = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(commandRegion);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        security ??= CallClusterSecurityExtension.For(system);
        var loopback = GatewayExposure.IsLoopback(settings.Host);
        await GatewayExposure.EnsureSafeAsync(security, settings, loopback, ct);
        var certificate = security.Settings.Tls.Enabled ? security.Settings.Tls.Load() : null;
        var registry = new MethodRegistry(settings.EnabledMethods);
        var parser = new RequestParser(registry, settings.MaxBatchSize);
        var dialects = new Dictionary<WireDialect, IDialect>
        {
            [WireDialect.Native] = new NativeDialect(parser),
            [WireDialect.Original] = new Protocol.Compat.OriginalDialect(registry),
        };

        var builder = CallCluster.Hosting.Web.EmbeddedWebHost.CreateBuilder(settings.Host, settings.Port, StopTimeout,
            CallCluster.Hosting.Logging.CallClusterLogging.For(system), certificate);
        // Anonymous clients only while no token exists anywhere, and only on loopback (the sandbox) or under --insecure:
        // the first token configured or issued closes it, on every connection attempt from then on.
        // Until the registry's set has arrived, tokens issued with callctl are unknown: nobody is let in anonymously then.
        builder.Services.AddCallClusterAuthentication(security,
            () => security.Cache.Loaded.IsCompleted && !security.Cache.HasTokens && (loopback || security.Settings.Insecure));
        if (settings.SocketSendBufferBytes > 0)
        {
            // Accepted sockets inherit SO_SNDBUF from the listening socket (Linux): it caps the kernel's share of what
            // a client that never reads costs (GatewaySettings.SocketSendBufferBytes).
            builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = endpoint =>
            {
                var listen = Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                listen.SendBufferSize = settings.SocketSendBufferBytes;
                return listen;
            });
        }

        // The REST API (docs/rest-api.md) shares the validation and the shard regions with the WebSocket paths.
        var starter = system.ActorOf(CommandStarter.Props(commandRegion, settings.AskTimeout));
        var webhooks = new WebhookStatusQuery(system, settings.AskTimeout);
        builder.Services.AddCallApiRest(
            new CallApiDispatcher(system, starter, commandRegion, dialogRegion, settings.AskTimeout),
            new RestParams(registry, settings.MaxFrameBytes),
            new ClusterStatusQuery(system, settings.AskTimeout),
            webhooks);

        var app = builder.Build();

        var shutdown = new CancellationTokenSource();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var logger = loggers.CreateLogger("CallCluster.Gateway");
        var audit = new CommandAudit(loggers.CreateLogger(CommandAudit.Category));
        var limiters = new TokenLimiters(security.Settings.DefaultMaxInFlight, security.Settings.DefaultCommandsPerSecond);

        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseCallClusterSecurity(new OriginPolicy(security.Settings.AllowedOrigins, settings.Host, logger));
        app.MapPost(settings.Path.TrimEnd('/') + TicketSuffix, context => TicketEndpoint.IssueAsync(context, security))
            .RequireCallClusterToken();
        // Every path is mapped on its own, so /call-api does not swallow /call-api/compat (Map matches prefixes).
        foreach (var (path, kind) in settings.Endpoints.OrderByDescending(e => e.Path.Length))
        {
            var dialect = dialects[kind];
            var mapped = app.Map(path, async context =>
            {
                if (!context.WebSockets.IsWebSocketRequest)
                {
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                    await context.Response.WriteAsync("WebSocket endpoint: connect with ws://", context.RequestAborted);
                    return;
                }

                var caller = context.Caller(security);
                var connectionId = context.TraceIdentifier.Replace(':', '-');
                var access = new ConnectionAccess(caller, limiters.For(caller), audit, connectionId);
                using var revoked = GatewayExposure.RevocationOf(security, caller);
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var session = new WebSocketSession(socket, system, commandRegion, settings, dialect, logger,
                    connectionId, dialogRegion, events, access, revoked?.Token ?? CancellationToken.None);
                var remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
                await session.RunAsync(remote, shutdown.Token, context.RequestAborted);
            }).RequireCallClusterToken();
            if (kind == WireDialect.Original)
            {
                // The original dialect's clients send no header and no query string (docs/security.md, the compat trade-off).
                mapped.WithEndpointPolicy("compat", security.Settings.Compat);
            }
        }

        // REST: the same credentials as the WebSocket (Bearer), scopes by verb (RestSecurity).
        app.MapCallApiRestWithOpenApi().RequireCallClusterToken().AddEndpointFilter(new RestSecurity(security));
        // The web console's files: no token (they hold no data); the page reads and commands through the routes above.
        app.MapCallClusterConsole(settings.Endpoints.Where(e => e.Dialect == WireDialect.Native).Select(e => e.Path).FirstOrDefault(),
            settings.Path.TrimEnd('/') + TicketSuffix);
        try
        {
            await app.StartAsync(ct);
        }
        catch (Exception e)
        {
            await app.DisposeAsync();
            shutdown.Dispose();
            system.Stop(starter);
            webhooks.Stop(system);
            if (CallCluster.Hosting.PortInUse.Is(e))
            {
                throw CallCluster.Hosting.PortInUse.Error("WebSocket (Call API)", $"{settings.Host}:{settings.Port}",
                    "callcluster.gateway.port or CALLCLUSTER_WS_PORT", e);
            }

            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        var scheme = certificate is null ? "ws" : "wss";
        var endpoint = new UriBuilder(scheme, settings.Host, port, settings.Path).Uri;
        var dialectEndpoints = new Dictionary<WireDialect, Uri>();
        foreach (var (path, kind) in settings.Endpoints)
        {
            dialectEndpoints.TryAdd(kind, new UriBuilder(scheme, settings.Host, port, path).Uri);
        }

        logger.LogInformation("Call API WebSocket listening on {Endpoints}; methods enabled: {Methods}",
            string.Join(", ", settings.Endpoints.Select(e => $"{e.Path} ({e.Dialect})")),
            string.Join(", ", parser.Registry.Enabled.Order(StringComparer.Ordinal)));
        var httpEndpoint = new UriBuilder(certificate is null ? "http" : "https", settings.Host, port).Uri;
        logger.LogInformation("Call API REST at {Rest}, its OpenAPI document at {OpenApi}",
            new Uri(httpEndpoint, RestEndpoints.Prefix), new Uri(httpEndpoint, RestApi.OpenApiPath));
        return new GatewayServer(app, shutdown, endpoint, dialectEndpoints, httpEndpoint, system, starter, webhooks)
        {
            _insecureWarning = !loopback && security.Settings.Insecure
                ? GatewayExposure.WarnWhileOpen(system, security, logger, $"{settings.Host}:{port}")
                : null,
        };
    }

    /// <summary>Closes every open connection with 1001 "server shutting down", then stops Kestrel.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _insecureWarning?.Cancel();
        await _shutdown.CancelAsync();
        using (var cts = new CancellationTokenSource(StopTimeout))
        {
            try
            {
                await _app.StopAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                // Stragglers are aborted by Kestrel; nothing else to wait for.
            }
        }

        await _app.DisposeAsync();
        _shutdown.Dispose();
        _system.Stop(_restStarter);
        _webhooks.Stop(_system);
    }

}
