using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>One HTTP answer of the REST API: status, body (parsed when JSON), headers.</summary>
public sealed record RestAnswer(HttpStatusCode Status, string? ContentType, JsonElement Body, System.Net.Http.Headers.HttpResponseHeaders Headers,
    Uri? Location)
{
    public string? Str(params string[] path) => Json.Str(Body, path);
}

/// <summary>HttpClient on the gateway's REST API, with the polling a client does to wait for a command's outcome.</summary>
public sealed class RestTestClient(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public HttpClient Http => _http;

    public Task<RestAnswer> PostAsync(string path, object? body = null, string? idempotencyKey = null) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = body is null ? null : JsonContent.Create(body),
        }, idempotencyKey);

    public Task<RestAnswer> PostRawAsync(string path, string body) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") }, null);

    public Task<RestAnswer> GetAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), null);

    /// <summary>GETs the command until it is no longer running, or fails the test after <paramref name="timeout"/>.</summary>
    public async Task<RestAnswer> WaitForEndAsync(string commandPath, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var answer = await GetAsync(commandPath);
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            if (answer.Str("status") != "running")
            {
                return answer;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{commandPath} still running after {timeout}");
            await Task.Delay(50);
        }
    }

    /// <summary>A call placed by a simulated phone reaches the cluster by EVI, after the phone's 200 OK: GETs it until
    /// it is known, or fails the test after <paramref name="timeout"/>.</summary>
    public async Task WaitForCallAsync(string callId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while ((await GetAsync($"/v1/calls/{Uri.EscapeDataString(callId)}")).Status != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, $"call {callId} still unknown after {timeout}");
            await Task.Delay(50);
        }
    }

    /// <summary>Posts a command, checks the 202, and polls its Location until it ends.</summary>
    public async Task<RestAnswer> RunAsync(string path, object? body, TimeSpan timeout)
    {
        var started = await PostAsync(path, body);
        Assert.Equal(HttpStatusCode.Accepted, started.Status);
        return await WaitForEndAsync(started.Location!.ToString(), timeout);
    }

    /// <summary>The codes of a command's notifications, e.g. CALL_HOLD, CALL_HOLD, Ended ok.</summary>
    public static IReadOnlyList<string> Codes(RestAnswer command) =>
        [.. command.Body.GetProperty("notifications").EnumerateArray()
            .Select(n => Json.Str(n, "kind") == "Ended" ? "Ended " + Json.Str(n, "status") : Json.Str(n, "data")!)];

    private async Task<RestAnswer> SendAsync(HttpRequestMessage request, string? idempotencyKey)
    {
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using (request)
        {
            using var response = await _http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var body = text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default;
            return new RestAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, response.Headers,
                response.Headers.Location);
        }
    }

    public void Dispose() => _http.Dispose();
}
