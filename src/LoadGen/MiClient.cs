using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace CallCluster.LoadGen;

/// <summary>Outcome of a batch of MI requests.</summary>
public sealed class MiBatchResult
{
    public required string?[] Results { get; init; }
    public int Errors { get; set; }
    public int Timeouts { get; set; }
    public string? FirstError { get; set; }
    public int Succeeded => Results.Count(r => r is not null);
}

/// <summary>
/// Minimal MI JSON-RPC-over-UDP client for set-up (sim_call) and clean-up (sim_hangup): one socket, replies
/// matched by id, bounded concurrency, per-request timeout, no retries (a retried sim_call could create two calls).
/// Not on the timed path.
/// </summary>
public sealed class MiClient : IDisposable
{
    private readonly Socket _socket;

    public MiClient(IPEndPoint endPoint)
    {
        _socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Connect(endPoint);
    }

    /// <summary>Sends <paramref name="count"/> requests of <paramref name="method"/> with params from <paramref name="writeParams"/>(i); result i is the string result (or "" for a non-string result), null on error/timeout.</summary>
    public async Task<MiBatchResult> CallManyAsync(int count, string method, Action<int, Utf8JsonWriter> writeParams, int concurrency, TimeSpan timeout, CancellationToken ct)
    {
        var result = new MiBatchResult { Results = new string?[count] };
        var pending = new Dictionary<int, (int Index, long Sent)>();
        var buffer = new byte[65536];
        var request = new MemoryStream(256);
        int issued = 0, done = 0, refused = 0;
        bool anyReply = false;
        while (done < count)
        {
            ct.ThrowIfCancellationRequested();
            while (pending.Count < concurrency && issued < count)
            {
                int id = issued + 1;
                request.SetLength(0);
                using (var w = new Utf8JsonWriter(request))
                {
                    w.WriteStartObject();
                    w.WriteString("jsonrpc", "2.0");
                    w.WriteString("method", method);
                    w.WritePropertyName("params");
                    w.WriteStartObject();
                    writeParams(issued, w);
                    w.WriteEndObject();
                    w.WriteNumber("id", id);
                    w.WriteEndObject();
                }
                try
                {
                    await _socket.SendAsync(request.GetBuffer().AsMemory(0, (int)request.Length), SocketFlags.None, ct);
                }
                catch (SocketException e)
                {
                    result.Errors++;
                    result.FirstError ??= "send: " + e.SocketErrorCode;
                    issued++;
                    done++;
                    continue;
                }
                pending[id] = (issued, Stopwatch.GetTimestamp());
                issued++;
            }

            using (var rcts = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                rcts.CancelAfter(TimeSpan.FromMilliseconds(200));
                try
                {
                    int len = await _socket.ReceiveAsync(buffer, SocketFlags.None, rcts.Token);
                    anyReply = true;
                    if (TryParseReply(buffer.AsSpan(0, len), out int id, out string? value, out string? error) && pending.Remove(id, out var p))
                    {
                        done++;
                        if (error is null) result.Results[p.Index] = value ?? "";
                        else
                        {
                            result.Errors++;
                            result.FirstError ??= error;
                        }
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // nothing within 200 ms: check timeouts below
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    // ICMP port unreachable: nobody listens on the MI port
                    if (!anyReply && ++refused >= 3) throw new InvalidOperationException($"MI {_socket.RemoteEndPoint} refuses datagrams (nothing listening?)");
                }
            }

            long now = Stopwatch.GetTimestamp();
            List<int>? expired = null;
            foreach (var kv in pending)
                if (Stopwatch.GetElapsedTime(kv.Value.Sent, now) > timeout) (expired ??= []).Add(kv.Key);
            if (expired is not null)
            {
                foreach (int id in expired)
                {
                    pending.Remove(id);
                    result.Timeouts++;
                    done++;
                }
            }
        }
        return result;
    }

    internal static bool TryParseReply(ReadOnlySpan<byte> json, out int id, out string? value, out string? error)
    {
        id = 0;
        value = null;
        error = null;
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("id", out var idEl) || !idEl.TryGetInt32(out id)) return false;
            if (root.TryGetProperty("error", out var err))
            {
                error = err.ValueKind == JsonValueKind.Object && err.TryGetProperty("message", out var msg) ? msg.ToString() : err.ToString();
                if (err.ValueKind == JsonValueKind.Object && err.TryGetProperty("code", out var code)) error = code + " " + error;
                return true;
            }
            if (root.TryGetProperty("result", out var res))
            {
                value = res.ValueKind == JsonValueKind.String ? res.GetString() : res.GetRawText();
                return true;
            }
            return false;
        }
        catch (JsonException)
        {
            // plain-text MI errors ("500 Internal error") carry no id: unmatched, they time out
            error = Encoding.UTF8.GetString(json);
            return false;
        }
    }

    public void Dispose() => _socket.Dispose();
}
