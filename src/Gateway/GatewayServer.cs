using System.Net;
using Akka.Actor;
using CallCluster.Gateway.Protocol;
using CallCluster.Gateway.Rest;
using CallCluster.Gateway.Transport;
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
/// loop + connection actor + outbound stream) per connection.</summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _shutdown;
    private int _disposed;

    private readonly ActorSystem _system;
    private readonly IActorRef _restStarter;

    private GatewayServer(WebApplication app, CancellationTokenSource shutdown, Uri endpoint,
        IReadOnlyDictionary<WireDialect, Uri> dialectEndpoints, Uri httpEndpoint, ActorSystem system, IActorRef restStarter)
    {
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

    /// <param name="dialogRegion">The dialog shard region or proxy; with it the gateway serves CallGet.</param>
    /// <param name="events">The call-event log; with it the gateway serves EventsSubscribe.</param>
    public static async Task<GatewayServer> StartAsync(ActorSystem system, IActorRef commandRegion, GatewaySettings settings,
        CancellationToken ct = default, IActorRef? dialogRegion = null, Events.EventSource? events = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(commandRegion);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var registry = new MethodRegistry(settings.EnabledMethods);
        var parser = new RequestParser(registry, settings.MaxBatchSize);
        var dialects = new Dictionary<WireDialect, IDialect>
        {
            [WireDialect.Native] = new NativeDialect(parser),
            [WireDialect.Original] = new Protocol.Compat.OriginalDialect(registry),
        };

        var builder = CallCluster.Hosting.Web.EmbeddedWebHost.CreateBuilder(settings.Host, settings.Port, StopTimeout,
            CallCluster.Hosting.Logging.LogFormat.IsJson(system.Settings.Config));
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
        builder.Services.AddCallApiRest(
            new CallApiDispatcher(system, starter, commandRegion, dialogRegion, settings.AskTimeout),
            new RestParams(registry, settings.MaxFrameBytes));

        var app = builder.Build();

        var shutdown = new CancellationTokenSource();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CallCluster.Gateway");

        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        // Every path is mapped on its own, so /call-api does not swallow /call-api/compat (Map matches prefixes).
        foreach (var (path, kind) in settings.Endpoints.OrderByDescending(e => e.Path.Length))
        {
            var dialect = dialects[kind];
            app.Map(path, async context =>
            {
                if (!context.WebSockets.IsWebSocketRequest)
                {
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                    await context.Response.WriteAsync("WebSocket endpoint: connect with ws://", context.RequestAborted);
                    return;
                }

                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var session = new WebSocketSession(socket, system, commandRegion, settings, dialect, logger,
                    context.TraceIdentifier.Replace(':', '-'), dialogRegion, events);
                var remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
                await session.RunAsync(remote, shutdown.Token, context.RequestAborted);
            });
        }

        app.MapCallApiRestWithOpenApi();
        try
        {
            await app.StartAsync(ct);
        }
        catch (Exception e)
        {
            await app.DisposeAsync();
            shutdown.Dispose();
            system.Stop(starter);
            if (CallCluster.Hosting.PortInUse.Is(e))
            {
                throw CallCluster.Hosting.PortInUse.Error("WebSocket (Call API)", $"{settings.Host}:{settings.Port}",
                    "callcluster.gateway.port or CALLCLUSTER_WS_PORT", e);
            }

            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        var endpoint = new UriBuilder("ws", settings.Host, port, settings.Path).Uri;
        var dialectEndpoints = new Dictionary<WireDialect, Uri>();
        foreach (var (path, kind) in settings.Endpoints)
        {
            dialectEndpoints.TryAdd(kind, new UriBuilder("ws", settings.Host, port, path).Uri);
        }

        logger.LogInformation("Call API WebSocket listening on {Endpoints}; methods enabled: {Methods}",
            string.Join(", ", settings.Endpoints.Select(e => $"{e.Path} ({e.Dialect})")),
            string.Join(", ", parser.Registry.Enabled.Order(StringComparer.Ordinal)));
        var httpEndpoint = new UriBuilder("http", settings.Host, port).Uri;
        logger.LogInformation("Call API REST at {Rest}, its OpenAPI document at {OpenApi}",
            new Uri(httpEndpoint, RestEndpoints.Prefix), new Uri(httpEndpoint, RestApi.OpenApiPath));
        return new GatewayServer(app, shutdown, endpoint, dialectEndpoints, httpEndpoint, system, starter);
    }

    /// <summary>Closes every open connection with 1001 "server shutting down", then stops Kestrel.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

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
    }

}
