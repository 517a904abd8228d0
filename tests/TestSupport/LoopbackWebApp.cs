using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CallCluster.TestSupport;

/// <summary>Kestrel on 127.0.0.1, for the fake servers tests stand up (gateways, webhook receivers, collectors):
/// the port is the one the kernel gave the listening socket (no window for another process to take it), the app
/// logs nothing, and it is stopped on dispose.</summary>
public sealed class LoopbackWebApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackWebApp(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Builds the app, lets <paramref name="map"/> add its middleware and endpoints, and starts it.</summary>
    public static async Task<LoopbackWebApp> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackWebApp(app, new Uri(address).Port);
    }

    /// <summary><paramref name="scheme"/>://127.0.0.1:port<paramref name="path"/>.</summary>
    public Uri Url(string scheme, string path) => new($"{scheme}://127.0.0.1:{Port}{path}");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
