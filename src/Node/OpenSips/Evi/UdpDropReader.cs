using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CallCluster.Node.OpenSips;

/// <summary>Reads the kernel's drop counter of one bound UDP socket from <c>/proc/net/udp</c> (IPv4) or
/// <c>/proc/net/udp6</c> (IPv6): datagrams the kernel discarded because the socket's receive buffer was full.
/// Nothing in user space sees those losses otherwise, and OpenSIPS never retransmits an event.
/// Where the files do not exist (not Linux, or /proc not mounted) there is nothing to report: null, not an error.</summary>
public sealed class UdpDropReader
{
    private readonly string _file;
    private readonly string _localHex;

    /// <param name="local">The socket's bound address and port (as <see cref="Socket.LocalEndPoint"/> reports it).</param>
    /// <param name="procNetDir">Where the udp tables live; tests may point elsewhere.</param>
    public UdpDropReader(IPEndPoint local, string procNetDir = "/proc/net")
    {
        ArgumentNullException.ThrowIfNull(local);
        _file = Path.Combine(procNetDir, local.AddressFamily == AddressFamily.InterNetworkV6 ? "udp6" : "udp");
        _localHex = LocalAddressHex(local);
    }

    /// <summary>The kernel's cumulative drop count for the socket, or null when the table is unavailable or has
    /// no row for it. Sums rows if several sockets share the address (SO_REUSEPORT). Reads one small file:
    /// call it from a timer or a scrape, not per datagram.</summary>
    public long? Read()
    {
        try
        {
            if (!File.Exists(_file)) return null;
            long? drops = null;
            foreach (var line in File.ReadLines(_file).Skip(1))
            {
                var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
                if (cols.Length < 13 || !string.Equals(cols[1], _localHex, StringComparison.OrdinalIgnoreCase)) continue;
                if (long.TryParse(cols[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var d)) drops = (drops ?? 0) + d;
            }
            return drops;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>The kernel prints each 32-bit word of the address in host byte order as 8 hex digits, then the port:
    /// 127.0.0.1:8080 is <c>0100007F:1F90</c> on a little-endian machine.</summary>
    internal static string LocalAddressHex(IPEndPoint local)
    {
        var bytes = local.Address.GetAddressBytes();
        var hex = new System.Text.StringBuilder(bytes.Length * 2 + 5);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            var value = BitConverter.ToUInt32(bytes, word); // reads the word in host order, as the kernel prints it
            hex.Append(value.ToString("X8", CultureInfo.InvariantCulture));
        }
        hex.Append(':').Append(local.Port.ToString("X4", CultureInfo.InvariantCulture));
        return hex.ToString();
    }
}
