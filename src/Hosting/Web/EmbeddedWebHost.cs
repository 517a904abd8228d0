using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallCluster.Hosting.Web;

/// <summary>The Kestrel hosts embedded in a CallCluster process (gateway, admin endpoint). Configuration is HOCON,
/// so ASP.NET's appsettings watching is off, and the content root is the binaries' folder: by default it is the
/// working directory, where the SQLite journal lives, and its watcher woke up on every journal write (measured: 12%
/// of a node's CPU under load). The process owns signals and shutdown (Akka CoordinatedShutdown), not the host.</summary>
public static class EmbeddedWebHost
{
    /// <param name="loggers">The process's one log sink (CallClusterLogging.For(system)): the host logs there, not to
    /// providers of its own.</param>
    /// <param name="certificate">Serve HTTPS (and wss://) with it; null: plain HTTP.</param>
    public static WebApplicationBuilder CreateBuilder(string host, int port, TimeSpan shutdownTimeout, ILoggerFactory loggers,
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        // Kestrel cannot pick a dynamic port for "localhost" (two addresses); use the IPv4 loopback then.
        var bindHost = port == 0 && host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" : host;
        var urlHost = IPAddress.TryParse(bindHost, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{bindHost}]"
            : bindHost;
        builder.WebHost.UseUrls($"{(certificate is null ? "http" : "https")}://{urlHost}:{port}");
        if (certificate is not null)
        {
            // The slim builder leaves Kestrel's HTTPS wiring out until asked for.
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
        }

        builder.Services.AddSingleton<IHostLifetime, CallerOwnedLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        return builder;
    }
}
