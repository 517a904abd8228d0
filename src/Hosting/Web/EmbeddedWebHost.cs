using Microsoft.AspNetCore.Builder;

namespace CallCluster.Hosting.Web;

/// <summary>Options for the Kestrel hosts embedded in a CallCluster process (gateway, admin endpoint). Configuration
/// is HOCON, so ASP.NET's own appsettings watching is off, and the content root is the binaries' folder: by default
/// it is the working directory, where the SQLite journal lives, and its watcher woke up on every journal write
/// (measured: 12% of a node's CPU under load).</summary>
public static class EmbeddedWebHost
{
    public static WebApplicationBuilder CreateBuilder() => WebApplication.CreateSlimBuilder(new WebApplicationOptions
    {
        ContentRootPath = AppContext.BaseDirectory,
        Args = ["--hostBuilder:reloadConfigOnChange=false"],
    });
}
