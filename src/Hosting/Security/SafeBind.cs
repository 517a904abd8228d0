using System.Net;

namespace CallCluster.Hosting.Security;

/// <summary>Whether a listener is reachable only from this host.</summary>
public static class SafeBind
{
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
}
