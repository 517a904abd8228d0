using System.Net.Sockets;

namespace CallCluster.Hosting;

/// <summary>A process cannot start for a reason the operator can fix (a port taken, a missing file): ProcessMain
/// prints its message as one line, without a stack trace, and exits with code 2.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Turns "address already in use" from any of the process's listeners into a <see cref="StartupException"/>
/// that names the port and the setting that changes it.</summary>
public static class PortInUse
{
    /// <summary>True when <paramref name="e"/> or one of its inner exceptions says the address is taken (Kestrel wraps
    /// the SocketException in an IOException and an AddressInUseException).</summary>
    public static bool Is(Exception? e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse or SocketError.AccessDenied }
                || x.GetType().Name == "AddressInUseException")
            {
                return true;
            }

            if (x is AggregateException a && a.InnerExceptions.Any(Is))
            {
                return true;
            }
        }

        return false;
    }

    /// <param name="what">The listener, e.g. "WebSocket (Call API)".</param>
    /// <param name="endpoint">host:port as configured.</param>
    /// <param name="setting">The configuration key and environment variable that change it.</param>
    public static StartupException Error(string what, string endpoint, string setting, Exception inner) =>
        new($"{what} port {endpoint} is already in use (or not allowed); choose another with {setting}", inner);
}
