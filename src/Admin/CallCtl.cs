using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CallCluster.Hosting.Admin;

namespace CallCluster.Admin;

/// <summary>The callctl command line, callable in-process (tests) with its own writers and environment.</summary>
public static class CallCtl
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    public const string Usage =
        """
        usage: callctl [--endpoint HOST:PORT] [--token TOKEN] [--json] <palette> <verb> [args...]
               callctl [--url WS-URL] [--json] call <start|hold|unhold|transfer|end> [options]
               callctl [--url WS-URL] [-config FILE] <CallStart|CallBlindTransfer|CallAttendedTransfer|CallHold|CallUnhold|CallEnd> [key=value...]
               callctl [--endpoint HOST:PORT] help

        Admin palettes (served by every CallCluster process; endpoint default 127.0.0.1:$CALLCLUSTER_ADMIN_PORT, else 9110):
          cluster show | status | leader | leave [address] | down <address> | down-unreachable | join <address> | tail
          sharding regions | region-stats <type> | cluster-stats <type> | locate <type> <id>
          calls list | calls show <callid> | commands show <cmd_id> | proxy status   (call nodes)
          webhooks list | add <name> <url> <secret> [event,...] | remove <name> | dead <name>   (call nodes)
          tokens add <id> <scope[,scope]> [domains=D,D] [expires=30d] [max-in-flight=N] [commands-per-second=N]
          tokens list | tokens revoke <id>
          tokens new                            prints a fresh token and its SHA-256 for callcluster.security.tokens (offline)
          help                                  lists what the endpoint serves
        Output: a header line naming the columns, one 'a | b | c' line per item, then 'Count: N';
        --json prints the result as JSON instead (for scripts).

        Call API client (JSON-RPC over WebSocket; --url default ws://127.0.0.1:$CALLCLUSTER_WS_PORT/call-api, port 5059
        when unset; CALLCLUSTER_WS_HOST, CALLCLUSTER_TLS_CERT (wss://) and CALLCLUSTER_WS_NATIVE_PATH are honoured too):
          call start    --caller URI --callee URI
          call hold     --callid ID [--leg caller|callee]
          call unhold   --callid ID [--leg caller|callee]
          call transfer --callid ID --leg LEG --destination URI                          (blind)
          call transfer --callid-a ID --leg-a LEG --callid-b ID --leg-b LEG [--destination URI]   (attended)
          call end      --callid ID
          (every call command also takes --cmd-id ID)
        Prints each notification as a line until Ended.

        The original Call API's call-cmd verbs (original dialect; --url default ws://127.0.0.1:$CALLCLUSTER_WS_PORT/call-api/compat,
        or $CALLCLUSTER_WS_COMPAT_PATH):
          CallStart caller=URI callee=URI        CallBlindTransfer callid=ID leg=LEG destination=URI
          CallAttendedTransfer callidA=ID legA=LEG callidB=ID legB=LEG
          CallHold callid=ID    CallUnhold callid=ID    CallEnd callid=ID
          -config FILE: call-cmd's YAML; its ws_server host/port name the gateway, the rest is ignored; -v is ignored.
        Prints 'Method:cmd_id: Event[: data]' per event; exits 0 on Ended, 1 on Error.

        --token TOKEN (or CALLCLUSTER_TOKEN): sent as Authorization: Bearer to the gateway and the admin endpoint.

        Exit codes: 0 ok, 1 failed (endpoint unreachable, command failed, Ended failed), 2 usage.
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr,
        Func<string, string?>? environment = null, CancellationToken ct = default)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? endpoint = null;
        string? url = null;
        string? callCmdConfig = null;
        var token = environment("CALLCLUSTER_TOKEN");
        var json = false;
        var i = 0;
        for (; i < args.Count && args[i].StartsWith('-'); i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    await stdout.WriteLineAsync(Usage);
                    return ExitOk;
                case "--json":
                    json = true;
                    break;
                case "--endpoint" when i + 1 < args.Count:
                    endpoint = args[++i];
                    break;
                case "--url" when i + 1 < args.Count:
                    url = args[++i];
                    break;
                case "--token" when i + 1 < args.Count:
                    token = args[++i];
                    break;
                case "-config" or "--config" when i + 1 < args.Count:
                    callCmdConfig = args[++i];
                    break;
                case "-v":
                    break; // call-cmd's "print the version": accepted so that its scripts run

                default:
                    return await UsageError(stderr, $"unknown or incomplete option '{args[i]}'");
            }
        }

        var rest = args.Skip(i).ToList();
        if (rest.Count == 0)
        {
            return await UsageError(stderr, "missing palette");
        }

        if (CallCmdVerbs.Methods.Contains(rest[0]))
        {
            if (callCmdConfig is not null && url is null)
            {
                try
                {
                    url = CallCmdConfig.GatewayUrl(callCmdConfig);
                }
                catch (IOException e)
                {
                    return await UsageError(stderr, $"-config {callCmdConfig}: {e.Message}");
                }
            }

            try
            {
                url ??= GatewayUrl.Compat(environment);
            }
            catch (FormatException e)
            {
                return await UsageError(stderr, e.Message);
            }

            return await CallCmdVerbs.RunAsync(url, rest, stdout, stderr, ct, token);
        }

        if (callCmdConfig is not null)
        {
            return await UsageError(stderr, "-config is for the call-cmd verbs (CallStart, CallHold, ...)");
        }

        if (rest[0] == "call")
        {
            if (endpoint is not null)
            {
                return await UsageError(stderr, "call commands talk to a gateway: use --url, not --endpoint");
            }

            try
            {
                url ??= GatewayUrl.Native(environment);
            }
            catch (FormatException e)
            {
                return await UsageError(stderr, e.Message);
            }

            return await CallClient.RunAsync(url, rest.Skip(1).ToList(), json, stdout, stderr, ct, token);
        }

        if (url is not null)
        {
            return await UsageError(stderr, "--url is for call commands; admin palettes use --endpoint");
        }

        if (rest is ["tokens", "new"])
        {
            // Offline: a token for configuration is made where the operator is, and only its hash goes to the servers.
            var secret = "cct_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_');
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
            await stdout.WriteLineAsync(FormatRow(["token", "sha256"]));
            await stdout.WriteLineAsync(FormatRow([secret, hash]));
            return ExitOk;
        }

        Uri baseUri;
        try
        {
            baseUri = EndpointUri(endpoint, environment);
        }
        catch (FormatException e)
        {
            return await UsageError(stderr, e.Message);
        }

        var admin = new AdminClient(baseUri, stdout, stderr, json, token);
        if (rest[0] == "help")
        {
            return rest.Count == 1 ? await admin.HelpAsync(ct) : await UsageError(stderr, "help takes no arguments");
        }

        if (rest.Count < 2)
        {
            return await UsageError(stderr, $"missing verb after '{rest[0]}'");
        }

        return await admin.RunAsync(rest[0], rest[1], rest.Skip(2).ToList(), ct);
    }

    /// <summary><c>--endpoint HOST:PORT</c>, else 127.0.0.1 and CALLCLUSTER_ADMIN_PORT, else 9110.</summary>
    public static Uri EndpointUri(string? endpoint, Func<string, string?> environment)
    {
        if (endpoint is null)
        {
            var portText = environment(AdminProtocol.PortVariable);
            var port = AdminProtocol.DefaultPort;
            if (!string.IsNullOrWhiteSpace(portText) && (!int.TryParse(portText, out port) || port is < 1 or > 65535))
            {
                throw new FormatException($"{AdminProtocol.PortVariable}='{portText}' is not a port number");
            }

            return new Uri($"http://{AdminProtocol.DefaultHost}:{port}");
        }

        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint[(colon + 1)..], out var p) || p is < 1 or > 65535)
        {
            throw new FormatException($"--endpoint '{endpoint}' is not HOST:PORT");
        }

        var host = endpoint[..colon];
        if (host.Contains(':') && !host.StartsWith('['))
        {
            host = "[" + host + "]";
        }

        return new Uri($"http://{host}:{p}");
    }

    internal static async Task<int> UsageError(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync("callctl: " + message);
        await stderr.WriteLineAsync("Try 'callctl --help'.");
        return ExitUsage;
    }

    /// <summary>pbm-style: the row's columns joined by " | ".</summary>
    public static string FormatRow(IReadOnlyList<string> row) => string.Join(" | ", row);

    /// <summary>The column names, in the rows' own format, so that a reader (or <c>column -t -s '|'</c>) knows what each
    /// field is; nothing for a result without columns. Scripts that want no header use <c>--json</c>.</summary>
    internal static Task WriteHeaderAsync(TextWriter stdout, IReadOnlyList<string>? columns) =>
        columns is { Count: > 0 } ? stdout.WriteLineAsync(FormatRow(columns)) : Task.CompletedTask;
}

/// <summary>Runs admin verbs against an endpoint over HTTP and prints their results.</summary>
internal sealed class AdminClient(Uri baseUri, TextWriter stdout, TextWriter stderr, bool json, string? token = null)
{
    private static readonly IReadOnlyList<string> HelpColumns = ["verb", "description"];

    private HttpClient NewHttp(TimeSpan timeout)
    {
        var http = new HttpClient { BaseAddress = baseUri, Timeout = timeout };
        if (!string.IsNullOrEmpty(token))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    public async Task<int> RunAsync(string palette, string verb, IReadOnlyList<string> args, CancellationToken ct)
    {
        using var http = NewHttp(Timeout.InfiniteTimeSpan);
        var body = JsonSerializer.Serialize(new AdminRequest(args), AdminJsonContext.Default.AdminRequest);
        using var request = new HttpRequestMessage(HttpMethod.Post, AdminProtocol.CommandPath(palette, verb))
        {
            Content = new StringContent(body, Encoding.UTF8, AdminProtocol.JsonContentType),
        };
        HttpResponseMessage response;
        try
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(ct);
            connect.CancelAfter(TimeSpan.FromSeconds(30));
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connect.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return await Unreachable(e, ct);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                await stderr.WriteLineAsync($"callctl: {baseUri} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                return CallCtl.ExitFailed;
            }

            if (response.Content.Headers.ContentType is MediaTypeHeaderValue { MediaType: AdminProtocol.NdjsonContentType })
            {
                return await StreamAsync(response, ct);
            }

            AdminResult? result;
            try
            {
                result = await response.Content.ReadFromJsonAsync(AdminJsonContext.Default.AdminResult, ct);
            }
            catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
            {
                await stderr.WriteLineAsync($"callctl: unreadable answer from {baseUri}: {e.Message}");
                return CallCtl.ExitFailed;
            }

            return result is null ? CallCtl.ExitFailed : await PrintAsync(result);
        }
    }

    public async Task<int> HelpAsync(CancellationToken ct)
    {
        using var http = NewHttp(TimeSpan.FromSeconds(30));
        IReadOnlyList<AdminPaletteInfo>? palettes;
        try
        {
            palettes = await http.GetFromJsonAsync(AdminProtocol.ApiPath, AdminJsonContext.Default.IReadOnlyListAdminPaletteInfo, ct);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException)
        {
            return await Unreachable(e, ct);
        }

        palettes ??= [];
        if (json)
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(palettes, AdminJsonContext.Default.IReadOnlyListAdminPaletteInfo));
            return CallCtl.ExitOk;
        }

        await CallCtl.WriteHeaderAsync(stdout, HelpColumns);
        var count = 0;
        foreach (var palette in palettes.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            foreach (var verb in palette.Verbs)
            {
                await stdout.WriteLineAsync(CallCtl.FormatRow(
                    [$"{palette.Name} {verb.Name} {verb.Usage}".TrimEnd(), verb.Description]));
                count++;
            }
        }

        await stdout.WriteLineAsync($"Count: {count}");
        return CallCtl.ExitOk;
    }

    private async Task<int> StreamAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var count = 0;
            var headerWritten = false;
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                if (json)
                {
                    await stdout.WriteLineAsync(line);
                }
                else if (JsonSerializer.Deserialize(line, AdminJsonContext.Default.AdminResult) is { } item)
                {
                    if (!headerWritten && item.Rows.Count > 0)
                    {
                        // Once, before the first row: every item of a stream has the same columns.
                        await CallCtl.WriteHeaderAsync(stdout, item.Columns);
                        headerWritten = true;
                    }

                    foreach (var row in item.Rows)
                    {
                        await stdout.WriteLineAsync(CallCtl.FormatRow(row));
                        count++;
                    }
                }

                await stdout.FlushAsync(ct);
            }

            // The server ended the stream (it is shutting down).
            if (!json)
            {
                await stdout.WriteLineAsync($"Count: {count}");
            }

            return CallCtl.ExitOk;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return CallCtl.ExitOk; // Ctrl-C: the normal end of a tail
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            await stderr.WriteLineAsync($"callctl: stream from {baseUri} broke: {e.Message}");
            return CallCtl.ExitFailed;
        }
    }

    private async Task<int> PrintAsync(AdminResult result)
    {
        if (json)
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(result, AdminJsonContext.Default.AdminResult));
            return ExitCode(result.Status);
        }

        if (result.Status != AdminStatus.Ok)
        {
            await stderr.WriteLineAsync("callctl: " + (result.Message ?? result.Status.ToString()));
            if (result.Status == AdminStatus.Usage)
            {
                await stderr.WriteLineAsync("Try 'callctl help'.");
            }

            return ExitCode(result.Status);
        }

        if (result.Message is { Length: > 0 } message)
        {
            await stdout.WriteLineAsync(message);
        }

        await CallCtl.WriteHeaderAsync(stdout, result.Columns);
        foreach (var row in result.Rows)
        {
            await stdout.WriteLineAsync(CallCtl.FormatRow(row));
        }

        await stdout.WriteLineAsync($"Count: {result.Rows.Count}");
        return CallCtl.ExitOk;
    }

    private async Task<int> Unreachable(Exception e, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
        {
            return CallCtl.ExitFailed;
        }

        var reason = e is OperationCanceledException ? "timed out" : e.Message;
        await stderr.WriteLineAsync(
            $"callctl: cannot reach the admin endpoint at {baseUri} ({reason}); is the process running, and is " +
            $"--endpoint or {AdminProtocol.PortVariable} right?");
        return CallCtl.ExitFailed;
    }

    private static int ExitCode(AdminStatus status) => status switch
    {
        AdminStatus.Ok => CallCtl.ExitOk,
        AdminStatus.Usage => CallCtl.ExitUsage,
        _ => CallCtl.ExitFailed,
    };
}
