using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CallCluster.Hosting.Admin;

namespace CallCluster.Admin;

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
