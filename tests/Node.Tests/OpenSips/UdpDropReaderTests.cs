using System.Net;
using System.Net.Sockets;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.OpenSips;

public sealed class UdpDropReaderTests
{
    [Fact]
    public void Formats_the_local_address_as_the_kernel_prints_it()
    {
        var expected = BitConverter.IsLittleEndian ? "0100007F:1F90" : "7F000001:1F90";
        Assert.Equal(expected, UdpDropReader.LocalAddressHex(new IPEndPoint(IPAddress.Loopback, 8080)));
        Assert.Equal("00000000:0035", UdpDropReader.LocalAddressHex(new IPEndPoint(IPAddress.Any, 53)));
        Assert.Equal("00000000000000000000000000000000:0001", UdpDropReader.LocalAddressHex(new IPEndPoint(IPAddress.IPv6Any, 1)));
    }

    [Fact]
    public void Reads_the_drops_column_of_the_matching_row_and_nothing_when_the_table_is_missing()
    {
        var dir = Directory.CreateTempSubdirectory("udp-drops");
        try
        {
            var port = 0x1F90;
            var local = BitConverter.IsLittleEndian ? "0100007F:1F90" : "7F000001:1F90";
            File.WriteAllLines(Path.Combine(dir.FullName, "udp"),
            [
                "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
                "  142: 00000000:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 52668 2 000000007eb3a6e6 5",
                $"  143: {local} 00000000:0000 07 00000000:00034000 00:00000000 00000000     0        0 52669 2 000000007eb3a6e7 1234",
            ]);
            Assert.Equal(1234, new UdpDropReader(new IPEndPoint(IPAddress.Loopback, port), dir.FullName).Read());
            Assert.Equal(5, new UdpDropReader(new IPEndPoint(IPAddress.Any, port), dir.FullName).Read());
            Assert.Null(new UdpDropReader(new IPEndPoint(IPAddress.Loopback, port + 1), dir.FullName).Read());
            Assert.Null(new UdpDropReader(new IPEndPoint(IPAddress.IPv6Loopback, port), dir.FullName).Read()); // no udp6 file
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A real socket with a tiny receive buffer that nobody reads, and a bounded burst: the kernel must count
    /// drops on that socket and none on a second socket that received nothing.</summary>
    [Fact]
    public void Sees_real_kernel_drops_on_a_flooded_socket_and_none_on_another()
    {
        if (!File.Exists("/proc/net/udp"))
        {
            Assert.Null(new UdpDropReader(new IPEndPoint(IPAddress.Loopback, 9)).Read()); // unavailable: nothing, no error
            return;
        }
        using var flooded = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        flooded.ReceiveBufferSize = 4096; // the kernel's minimum: a few datagrams fill it
        flooded.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var quiet = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        quiet.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var floodedReader = new UdpDropReader((IPEndPoint)flooded.LocalEndPoint!);
        var quietReader = new UdpDropReader((IPEndPoint)quiet.LocalEndPoint!);
        Assert.Equal(0, floodedReader.Read());
        Assert.Equal(0, quietReader.Read());

        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var payload = new byte[1000];
        for (var i = 0; i < 500; i++) sender.SendTo(payload, flooded.LocalEndPoint!);

        Assert.True(floodedReader.Read() > 0, "the kernel should have dropped datagrams on the flooded socket");
        Assert.Equal(0, quietReader.Read());
    }
}
