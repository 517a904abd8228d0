using System.Globalization;

namespace CallCluster.Simulator.Dialogs;

/// <summary>Random identifiers shaped like the ones in the captures (baresip tags/Call-IDs, OpenSIPS UAC tags).</summary>
public static class SipIds
{
    public static string Hex(int digits)
    {
        Span<byte> b = stackalloc byte[(digits + 1) / 2];
        Random.Shared.NextBytes(b);
        return Convert.ToHexStringLower(b)[..digits];
    }

    /// <summary>A phone's tag or Call-ID: 16 hex digits.</summary>
    public static string PhoneToken() => Hex(16);

    /// <summary>OpenSIPS tm's From tag: 32 hex, '-', 4 hex.</summary>
    public static string UacTag() => Hex(32) + "-" + Hex(4);

    /// <summary>OpenSIPS tm's generated Call-ID: hex-pid@ip.</summary>
    public static string UacCallId(string ip) => Hex(16) + "-" + Random.Shared.Next(10000, 99999).ToString(CultureInfo.InvariantCulture) + "@" + ip;

    public static string Branch() => "z9hG4bK" + Hex(4) + "." + Hex(8) + ".0";

    public static string PhoneSdp(string ip, int port)
    {
        var sess = Random.Shared.NextInt64(1_000_000_000, 4_000_000_000).ToString(CultureInfo.InvariantCulture);
        var ver = Random.Shared.NextInt64(1_000_000_000, 2_000_000_000).ToString(CultureInfo.InvariantCulture);
        var media = (10000 + (port % 1000) * 2).ToString(CultureInfo.InvariantCulture);
        return $"v=0\r\no=- {sess} {ver} IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {media} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
    }
}
