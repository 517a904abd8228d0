using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CallCluster.TestSupport;

/// <summary>A real webhook receiver: Kestrel on 127.0.0.1 and a free port. Every POST is checked the way the docs tell
/// receivers to (HMAC-SHA256 of the raw body with the secret, body timestamp = header timestamp) and recorded with
/// the time it arrived; <see cref="Behaviour"/> decides each answer (status code, or null: never answer).</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly string _secret;
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>One POST: its body, whether the signature held, when it came.</summary>
    public sealed record Received(JsonElement Body, bool SignatureOk, DateTimeOffset At)
    {
        public string DeliveryId => Body.GetProperty("delivery_id").GetString()!;
        public string Event => Body.GetProperty("event").GetString()!;
        public string CallId => Body.GetProperty("callid").GetString()!;
        public DateTimeOffset EventTime => DateTimeOffset.Parse(Body.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private LoopbackWebApp _app = null!;

    private WebhookReceiver(string secret) => _secret = secret;

    public Uri Url { get; private set; } = null!;

    /// <summary>Status code for a POST given how many times its delivery id came before; null: hold it unanswered.</summary>
    public Func<Received, int, int?> Behaviour { get; set; } = (_, _) => 200;

    public IReadOnlyList<Received> All => _received.ToArray();

    public static async Task<WebhookReceiver> StartAsync(string secret)
    {
        var receiver = new WebhookReceiver(secret);
        receiver._app = await LoopbackWebApp.StartAsync(app => app.MapPost("/hook", receiver.HandleAsync));
        receiver.Url = receiver._app.Url("http", "/hook");
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var raw = buffer.ToArray();
        var body = JsonDocument.Parse(raw).RootElement.Clone();
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_secret), raw));
        var header = context.Request.Headers["X-CallCluster-Signature"].ToString();
        var timestamp = context.Request.Headers["X-CallCluster-Timestamp"].ToString();
        var signatureOk = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(header))
                          && body.GetProperty("timestamp").GetRawText() == timestamp
                          && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture)) < 300;
        var received = new Received(body, signatureOk, DateTimeOffset.UtcNow);
        var before = _received.Count(r => r.DeliveryId == received.DeliveryId);
        _received.Enqueue(received);
        if (Behaviour(received, before) is { } status)
        {
            context.Response.StatusCode = status;
            return;
        }

        // Never answers (until the test ends): the sender's timeout or shutdown ends the request.
        await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, context.RequestAborted).Token)
            .ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Waits until <paramref name="done"/> holds for what arrived, polling the record (bounded).</summary>
    public async Task<IReadOnlyList<Received>> WaitForAsync(Func<IReadOnlyList<Received>, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var all = All;
            if (done(all))
            {
                return all;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} not seen within {timeout}; received {all.Count}:\n" +
                                           string.Join("\n", all.TakeLast(20).Select(r => r.Body.GetRawText())));
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
