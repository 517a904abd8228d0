namespace CallCluster.Admin;

/// <summary>The YAML file call-cmd takes with <c>-config</c>. callctl keeps scripts that pass it working: it reads the
/// <c>ws_server</c> block the original's files share (<c>host</c>, <c>port</c>) to find the gateway and ignores the rest
/// (<c>mi</c>, <c>sip</c>, <c>log</c>: callctl never talks to OpenSIPS itself). Only the flat two-level YAML those
/// files use is understood: <c>block:</c> lines and indented <c>key: value</c> lines, <c>#</c> comments.</summary>
internal static class CallCmdConfig
{
    /// <summary>ws://host:port/call-api/compat from the file's ws_server block, or null when it has none.</summary>
    public static string? GatewayUrl(string path)
    {
        string? block = null, host = null, port = null;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Split('#')[0].TrimEnd();
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':');
            if (colon < 0)
            {
                continue;
            }

            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim().Trim('"', '\'');
            if (!char.IsWhiteSpace(line[0]))
            {
                block = key;
            }
            else if (block == "ws_server" && key == "host")
            {
                host = value;
            }
            else if (block == "ws_server" && key == "port")
            {
                port = value;
            }
        }

        return host is null && port is null ? null : $"ws://{(string.IsNullOrEmpty(host) ? "127.0.0.1" : host)}:{(string.IsNullOrEmpty(port) ? "5059" : port)}/call-api/compat";
    }
}
