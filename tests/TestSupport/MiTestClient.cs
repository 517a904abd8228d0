using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace CallCluster.TestSupport;

/// <summary>Asks the OpenSIPS simulator over its real MI UDP socket (tests use it to check what the proxy sees).</summary>
public sealed class MiTestClient(IPEndPoint mi) : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private int _nextId;

    public async Task<JsonElement> CallAsync(string method, object? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var request = parameters is null
            ? JsonSerializer.Serialize(new { jsonrpc = "2.0", method, id })
            : JsonSerializer.Serialize(new { jsonrpc = "2.0", method, @params = parameters, id });
        await _udp.SendAsync(Encoding.UTF8.GetBytes(request), mi);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (true)
        {
            var datagram = await _udp.ReceiveAsync(cts.Token);
            using var reply = JsonDocument.Parse(datagram.Buffer);
            if (reply.RootElement.TryGetProperty("id", out var replyId) && replyId.ValueKind == JsonValueKind.Number && replyId.GetInt32() == id)
            {
                return reply.RootElement.Clone();
            }
        }
    }

    /// <summary>The dialog's state as <c>dlg_list {callid}</c> reports it, or 0 when the proxy knows no live dialog.</summary>
    public async Task<int> DialogStateAsync(string callId)
    {
        var reply = await CallAsync("dlg_list", new { callid = callId });
        return reply.TryGetProperty("result", out var result) ? result.GetProperty("Dialog").GetProperty("state").GetInt32() : 0;
    }

    /// <summary>The dialog's state once it is <paramref name="expected"/>, or the last one seen when 5 s run out. For a
    /// dialog the command ends without awaiting the answer (CommandEntity.Cleanup.cs: the placeholder's or the transferred
    /// call's <c>dlg_end_dlg</c> leaves before Ended is stored), so the proxy may still be handling it when Ended arrives.</summary>
    public async Task<int> DialogStateOnceSettledAsync(string callId, int expected)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var state = await DialogStateAsync(callId);
            if (state == expected || DateTime.UtcNow >= until)
            {
                return state;
            }

            await Task.Delay(20);
        }
    }

    public void Dispose() => _udp.Dispose();
}
