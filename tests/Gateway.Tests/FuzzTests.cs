using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using CallCluster.Contracts.Commands;
using CallCluster.Hosting.Metrics;
using CsCheck;
using Xunit.Abstractions;

namespace CallCluster.Gateway.Tests;

/// <summary>Issue 16: property-based fuzzing of a running gateway over real WebSockets (CsCheck). Generated frames: valid
/// requests of every method, mutated ones (characters deleted, inserted, swapped, truncated), wrong types, huge numbers,
/// deep nesting, batches up to 10,000 elements, unicode edge cases (lone surrogate escapes, NUL, BOM, RTL, emoji), binary
/// frames, fragmented frames, oversized frames; invalid UTF-8 on connections of its own (closed with 1007).
/// The properties: no connection is ever dropped by the server, every frame gets exactly the replies JSON-RPC 2.0 says
/// (one per request with an id, one array per batch, none for a notification: an order-free model below), managed
/// memory stays bounded, and a connection with valid traffic keeps being served meanwhile.
/// The command region is a stand-in that accepts and ends every command at once, so the run measures the gateway.</summary>
[Collection(SerialCollection.Name)]
public sealed class FuzzTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.loglevel = WARNING", output)
{
    private readonly ITestOutputHelper _log = output;

    /// <summary>Frames per CsCheck sample (one connection, then a sync marker).</summary>
    private const int ChunkFrames = 250;

    /// <summary>Samples: 400 x 250 = 100,000 frames.</summary>
    private const int Samples = 400;

    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private static readonly GatewaySettings Settings = GatewaySettings.Default with
    {
        Host = "127.0.0.1", Port = 0, AskTimeout = TimeSpan.FromSeconds(10), MaxInFlightPerConnection = 100_000,
    };

    [Fact(Timeout = 240_000)]
    public async Task Hundred_thousand_generated_frames_get_exactly_their_replies_and_nothing_crashes()
    {
        var region = Sys.ActorOf(Props.Create(() => new InstantRegion()), "fuzz-region");
        await using var server = await GatewayServer.StartAsync(Sys, region, Settings);
        var pool = new ConcurrentBag<FuzzConnection>();
        var all = new ConcurrentBag<FuzzConnection>();
        var frames = 0L;
        var replies = 0L;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        using var stopValid = new CancellationTokenSource();
        var valid = Task.Run(() => ValidTrafficAsync(server.Endpoint, stopValid.Token));

        await Gens.Frame.Array[ChunkFrames].SampleAsync(async chunk =>
        {
            if (!pool.TryTake(out var connection))
            {
                connection = await FuzzConnection.OpenAsync(server.Endpoint);
                all.Add(connection);
            }

            var got = await connection.RunChunkAsync(chunk);
            Interlocked.Add(ref frames, chunk.Length);
            Interlocked.Add(ref replies, got);
            pool.Add(connection);
        }, iter: Samples, threads: 4, seed: Environment.GetEnvironmentVariable("CALLCLUSTER_FUZZ_SEED"));

        await stopValid.CancelAsync();
        var (validCalls, maxLatency) = await valid.WaitAsync(Long);
        foreach (var connection in all)
        {
            Assert.Equal(WebSocketState.Open, connection.State);
            await connection.DisposeAsync();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        _log.WriteLine($"{frames} frames, {replies} replies on {all.Count} connections; {validCalls} valid round trips " +
                         $"alongside, slowest {maxLatency.TotalMilliseconds:F0} ms; managed heap {heapBefore / 1024} KiB -> {heapAfter / 1024} KiB");
        Assert.True(frames >= 100_000, $"only {frames} frames");
        Assert.True(validCalls > 0, "the valid connection was never served");
        // Bounded: what the run leaves behind is small whatever it sent (nothing per frame is retained).
        Assert.True(heapAfter - heapBefore < 64L * 1024 * 1024, $"managed heap grew by {(heapAfter - heapBefore) / 1024} KiB");
    }

    [Fact(Timeout = 120_000)]
    public async Task Invalid_utf8_text_frames_close_the_connection_with_1007_and_others_are_unaffected()
    {
        var region = Sys.ActorOf(Props.Create(() => new InstantRegion()), "utf8-region");
        await using var server = await GatewayServer.StartAsync(Sys, region, Settings);
        await using var bystander = await WsClient.ConnectAsync(server.Endpoint);
        var closed = 0;

        await Gens.InvalidUtf8.SampleAsync(async sample =>
        {
            var (payload, fragments) = sample;
            await using var client = await WsClient.ConnectAsync(server.Endpoint);
            Assert.Equal(JsonValueKind.Object, (await client.CallAsync("{nope")).ValueKind);
            await FuzzConnection.SendFragmentedAsync(client.Socket, payload, WebSocketMessageType.Text, fragments);
            Assert.Null(await client.ReceiveTextAsync(Long));
            Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, client.CloseResult!.CloseStatus);
            Interlocked.Increment(ref closed);
            // The server's WebSocket has failed: there is no close handshake to finish, the client just goes.
            client.Socket.Abort();
        }, iter: 200, threads: 4, seed: Environment.GetEnvironmentVariable("CALLCLUSTER_FUZZ_SEED"));

        _log.WriteLine($"{closed} connections closed with 1007");
        Assert.Equal("null", (await bystander.CallAsync("{nope")).GetProperty("id").GetRawText());
    }

    /// <summary>CallEnd round trips on their own connection while the fuzzing runs: each must be answered (reply, then
    /// Ended). Returns how many and the slowest (reported, not asserted: CI machines vary).</summary>
    private static async Task<(int Calls, TimeSpan Slowest)> ValidTrafficAsync(Uri endpoint, CancellationToken stop)
    {
        await using var client = await WsClient.ConnectAsync(endpoint);
        var calls = 0;
        var slowest = TimeSpan.Zero;
        while (!stop.IsCancellationRequested && calls < 1_000_000)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var reply = await client.CallAsync($$$"""{"jsonrpc":"2.0","id":{{{calls}}},"method":"CallEnd","params":{"callid":"valid-{{{calls}}}"}}""");
            Assert.Equal(calls, reply.GetProperty("id").GetInt32());
            Assert.Equal("Started", reply.GetProperty("result").GetProperty("status").GetString());
            Assert.Equal("Ended", (await client.ReceiveAsync()).GetProperty("method").GetString());
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            slowest = took > slowest ? took : slowest;
            calls++;
            await Task.Delay(5, CancellationToken.None);
        }

        return (calls, slowest);
    }

    /// <summary>Accepts and ends every command at once; CommandGet and CommandSubscribe: unknown command.</summary>
    private sealed class InstantRegion : ReceiveActor
    {
        public InstantRegion()
        {
            Receive<StartCommand>(s =>
            {
                s.Subscriber.Tell(new CommandAccepted(s.CmdId, false));
                s.Subscriber.Tell(CommandNotification.EndedOk(s.CmdId, 1));
            });
            Receive<SubscribeCommand>(s => s.Subscriber.Tell(
                new CommandRejected(s.CmdId, ErrorCodes.InvalidParams, "Invalid params", "cmd_id: unknown command")));
            Receive<GetCommand>(g => Sender.Tell(
                new CommandRejected(g.CmdId, ErrorCodes.InvalidParams, "Invalid params", "cmd_id: unknown command")));
            Receive<UnsubscribeCommand>(_ => { });
        }
    }
}

/// <summary>One generated WebSocket message: its bytes, its type, and how many fragments it is sent in.</summary>
public sealed record FuzzFrame(byte[] Payload, WebSocketMessageType Type, int Fragments)
{
    public override string ToString() =>
        $"{Type} x{Fragments} {Encoding.UTF8.GetString(Payload.AsSpan(0, Math.Min(Payload.Length, 300)))}{(Payload.Length > 300 ? "..." : "")} ({Payload.Length} bytes)";
}

/// <summary>A fuzzing connection: sends a chunk of frames then a marker request, reads until the marker's reply, and
/// checks the replies against <see cref="ReplyModel"/>.</summary>
internal sealed class FuzzConnection : IAsyncDisposable
{
    private readonly WsClient _client;
    private int _marker;

    private FuzzConnection(WsClient client) => _client = client;

    public WebSocketState State => _client.Socket.State;

    public static async Task<FuzzConnection> OpenAsync(Uri endpoint) => new(await WsClient.ConnectAsync(endpoint));

    /// <summary>Returns the number of replies received for the chunk.</summary>
    public async Task<int> RunChunkAsync(FuzzFrame[] chunk)
    {
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var frame in chunk)
        {
            foreach (var key in ReplyModel.Expect(frame))
            {
                expected[key] = expected.GetValueOrDefault(key) + 1;
            }
        }

        var marker = $"\"sync-{++_marker}\"";
        var receiving = ReceiveUntilAsync(marker);
        foreach (var frame in chunk)
        {
            await SendFragmentedAsync(_client.Socket, frame.Payload, frame.Type, frame.Fragments);
        }

        await _client.SendAsync($$$"""{"jsonrpc":"2.0","id":{{{marker}}},"method":"CommandGet","params":{"cmd_id":"sync"}}""");
        var received = await receiving;
        var count = received.Values.Sum();
        foreach (var (key, n) in expected)
        {
            if (received.GetValueOrDefault(key) != n)
            {
                Assert.Fail($"reply {key}: expected {n}, got {received.GetValueOrDefault(key)}; chunk:\n{string.Join("\n", chunk.Select(f => f.ToString()))}");
            }
        }

        var extra = received.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        Assert.True(extra.Count == 0, $"unexpected replies {string.Join(", ", extra)}; chunk:\n{string.Join("\n", chunk.Select(f => f.ToString()))}");
        return count;
    }

    private async Task<Dictionary<string, int>> ReceiveUntilAsync(string marker)
    {
        var received = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var frames = 0; frames < 1_000_000; frames++)
        {
            var text = await _client.ReceiveTextAsync(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException(
                $"the server closed a fuzzing connection: {_client.CloseResult?.CloseStatus} {_client.CloseResult?.CloseStatusDescription}");
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            string key;
            if (root.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in root.EnumerateArray())
                {
                    Assert.Equal("2.0", item.GetProperty("jsonrpc").GetString());
                    Assert.True(item.TryGetProperty("id", out _));
                }

                key = "batch:" + root.GetArrayLength();
            }
            else if (root.TryGetProperty("method", out _))
            {
                continue; // a notification of a command the chunk started
            }
            else
            {
                Assert.Equal("2.0", root.GetProperty("jsonrpc").GetString());
                key = root.GetProperty("id").GetRawText();
                Assert.True(root.TryGetProperty("result", out _) ^ root.TryGetProperty("error", out _), text);
                if (key == marker)
                {
                    return received;
                }
            }

            received[key] = received.GetValueOrDefault(key) + 1;
        }

        throw new InvalidOperationException("no marker reply");
    }

    public static async Task SendFragmentedAsync(WebSocket socket, byte[] payload, WebSocketMessageType type, int fragments)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var step = Math.Max(1, payload.Length / Math.Max(1, fragments));
        var offset = 0;
        for (var i = 1; i < fragments && offset + step < payload.Length; i++, offset += step)
        {
            await socket.SendAsync(payload.AsMemory(offset, step), type, endOfMessage: false, cts.Token);
        }

        await socket.SendAsync(payload.AsMemory(offset), type, endOfMessage: true, cts.Token);
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}

/// <summary>What JSON-RPC 2.0 (and the README's documented limits) says a frame gets back, as reply keys: a request's
/// id exactly as sent (<c>null</c> for an error that has none), <c>batch:N</c> for an array of N replies. Order-free:
/// replies of commands come back when the command service answers.</summary>
internal static class ReplyModel
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public static IEnumerable<string> Expect(FuzzFrame frame)
    {
        if (frame.Type == WebSocketMessageType.Binary || frame.Payload.Length > GatewaySettings.Default.MaxFrameBytes)
        {
            return ["null"];
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(frame.Payload, Options);
        }
        catch (JsonException)
        {
            return ["null"];
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                return One(root) is { } key ? [key] : [];
            }

            var n = root.GetArrayLength();
            if (n == 0 || n > GatewaySettings.Default.MaxBatchSize)
            {
                return ["null"];
            }

            var replies = root.EnumerateArray().Count(item => One(item) is not null);
            return replies == 0 ? [] : ["batch:" + replies];
        }
    }

    /// <summary>Every string and member name can be read (no unpaired surrogate escape).</summary>
    private static bool Readable(JsonElement e)
    {
        try
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    _ = e.GetString();
                    return true;
                case JsonValueKind.Array:
                    return e.EnumerateArray().All(Readable);
                case JsonValueKind.Object:
                    return e.EnumerateObject().All(m => m.Name.Length >= 0 && Readable(m.Value));
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The reply key of one request, or null for a notification (no id, well-formed: never answered, not even
    /// with an error). Members are read in order; the first repeated member makes the request invalid.</summary>
    private static string? One(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object)
        {
            return "null";
        }

        if (!Readable(request))
        {
            // "\ud800" unpaired: not Unicode, refused -32600 with the first readable id (or null), even without one.
            foreach (var member in request.EnumerateObject())
            {
                if (member.NameEquals("id") && member.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null)
                {
                    return member.Value.GetRawText();
                }
            }

            return "null";
        }

        JsonElement? jsonrpc = null, method = null, parameters = null;
        string? id = null;
        var idValid = true;
        foreach (var member in request.EnumerateObject())
        {
            switch (member.Name)
            {
                case "jsonrpc" when jsonrpc is null:
                    jsonrpc = member.Value;
                    break;
                case "method" when method is null:
                    method = member.Value;
                    break;
                case "params" when parameters is null:
                    parameters = member.Value;
                    break;
                case "id" when id is null && idValid:
                    if (member.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null)
                    {
                        id = member.Value.GetRawText();
                    }
                    else
                    {
                        idValid = false;
                    }

                    break;
                case "jsonrpc" or "method" or "params" or "id":
                    return id ?? "null";
            }
        }

        if (!idValid)
        {
            return "null";
        }

        var wellFormed = jsonrpc is { ValueKind: JsonValueKind.String } v && v.ValueEquals("2.0")
                         && method is { ValueKind: JsonValueKind.String }
                         && parameters is null or { ValueKind: JsonValueKind.Object };
        return wellFormed ? id : id ?? "null";
    }
}

/// <summary>The CsCheck generators.</summary>
internal static class Gens
{
    private static readonly string[] Methods =
    [
        CommandMethods.CallStart, CommandMethods.CallBlindTransfer, CommandMethods.CallAttendedTransfer, CommandMethods.CallHold,
        CommandMethods.CallUnHold, CommandMethods.CallEnd, CommandMethods.CommandGet, CommandMethods.CommandSubscribe,
        CommandMethods.CallGet, "CallList", "CallUnhold", "CallDance", "", "callend", "CallEnd ", "\u0000",
    ];

    private static readonly string[] ParamNames =
    [
        "callid", "callid", "cmd_id", "leg", "destination", "caller", "callee", "after_seq", "callid_a", "leg_a", "callid_b",
        "leg_b", "callidA", "legA", "extra", "", "CALLID", "call\u0000id",
    ];

    /// <summary>JSON string literals: plausible values and unicode edge cases, as raw JSON text.</summary>
    private static readonly string[] EdgeStrings =
    [
        "\"\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\ud83d\\ude00\"", "\"😀\"", "\"\uFEFF\"", "\"\u202E\u202Dx\"",
        "\"a\u0301\"", "\"\uFFFF\"", "\"\\\"\"", "\"\\\\\"", "\"\\/\"", "\"\u00e9\u4e2d\u0800\"", "\"\\uFFFE\"", "\"\t\"",
        "\"sip:alice@127.0.0.1\"", "\"sip:bob@example.com:5060\"", "\"sip:x@[::1]:1\"", "\"sip:" + new string('h', 255) + "\"",
        "\"caller\"", "\"callee\"", "\"c1164299c6876eb1\"", "\"12345678-1234-1234-1234-123456789012\"",
        "\"" + new string('x', 5000) + "\"", "\"" + string.Concat(Enumerable.Repeat("😀", 1000)) + "\"",
    ];

    private static readonly string[] EdgeNumbers =
    [
        "0", "-0", "1", "-1", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
        "123456789012345678901234567890123456789", "1e999999", "-1e-999999", "1E+400", "0.1", "1.50", "1e2", "-0.0e-0",
        "0.0000000000000000000000000001",
    ];

    private static readonly Gen<string> StringLiteral = Gen.Frequency(
        (3, Gen.OneOf(EdgeStrings)),
        (2, Gen.String[0, 40].Select(s => JsonSerializer.Serialize(s))),
        (1, Gen.Char.Array[0, 20].Select(cs => JsonSerializer.Serialize(new string(cs)))));

    private static readonly Gen<string> NumberLiteral = Gen.Frequency(
        (2, Gen.OneOf(EdgeNumbers)),
        (2, Gen.Long.Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (1, Gen.Int[-5, 100].Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (1, Gen.Double.Select(x => double.IsFinite(x) ? x.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "1")));

    private static readonly Gen<string> Scalar = Gen.Frequency(
        (4, StringLiteral), (2, NumberLiteral), (1, Gen.OneOf("true", "false", "null")));

    /// <summary>Nested arrays/objects around a scalar, 0..100 levels deep (the limit is 64).</summary>
    private static readonly Gen<string> Nested = Gen.Select(Gen.Int[1, 100], Gen.Bool, Scalar, (depth, objects, inner) =>
        objects
            ? string.Concat(Enumerable.Repeat("{\"a\":", depth)) + inner + new string('}', depth)
            : new string('[', depth) + inner + new string(']', depth));

    private static readonly Gen<string> Value = Gen.Frequency((12, Scalar), (1, Nested), (1, Scalar.Array[0, 5].Select(a => "[" + string.Join(",", a) + "]")));

    private static readonly Gen<string> ParamName = Gen.Frequency(
        (6, Gen.OneOf(ParamNames)), (1, Gen.String[0, 10]));

    private static readonly Gen<string> ParamsObject = Gen.Select(ParamName, Value).Array[0, 6]
        .Select(members => "{" + string.Join(",", members.Select(m => JsonSerializer.Serialize(m.Item1) + ":" + m.Item2)) + "}");

    private static readonly Gen<string> Id = Gen.Frequency(
        (6, Gen.Int[0, 1_000_000].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (3, StringLiteral), (1, NumberLiteral), (1, Gen.OneOf("null", "{}", "[]", "true", "{\"x\":1}")));

    private static Gen<string?> MaybeMember(Gen<string> value, int absentWeight) =>
        Gen.Frequency((absentWeight, Gen.Const<string?>((string?)null)), (10, value.Select(v => (string?)v)));

    /// <summary>A request object, its members in any order, some missing or repeated, of any type.</summary>
    private static readonly Gen<string> Request = Gen.Select(
        MaybeMember(Gen.Frequency((20, Gen.Const("\"2.0\"")), (1, Gen.OneOf("\"1.0\"", "2", "2.0", "null", "\"2.0 \""))), 1),
        MaybeMember(Id, 2),
        MaybeMember(Gen.Frequency((12, Gen.OneOf(Methods).Select(m => JsonSerializer.Serialize(m))), (1, Value)), 1),
        MaybeMember(Gen.Frequency((12, ParamsObject), (1, Value)), 1),
        Gen.Int[0, 20], Gen.Int[0, 3],
        (jsonrpc, id, method, parameters, shuffle, repeat) =>
        {
            var members = new List<string>();
            if (jsonrpc is not null) members.Add("\"jsonrpc\":" + jsonrpc);
            if (id is not null) members.Add("\"id\":" + id);
            if (method is not null) members.Add("\"method\":" + method);
            if (parameters is not null) members.Add("\"params\":" + parameters);
            if (members.Count > 1 && shuffle < 5)
            {
                (members[0], members[^1]) = (members[^1], members[0]);
            }

            if (members.Count > 0 && repeat == 0 && shuffle > 15)
            {
                members.Add(members[shuffle % members.Count]);
            }

            return "{" + string.Join(",", members) + "}";
        });

    /// <summary>Character-level damage: delete, insert, swap, truncate (the text stays valid UTF-16; surrogates may split,
    /// which UTF-8 encodes as U+FFFD: still valid UTF-8).</summary>
    private static readonly Gen<string> Mutated = Gen.Select(Request, Gen.Int[1, 4].SelectMany(n => Gen.Select(Gen.Int[0, 3], Gen.Double[0, 1], Gen.OneOf("{", "}", "[", "]", "\"", ",", ":", "\\", " ", "0", "a", "-", "e", "\u00e9")).Array[n]),
        (text, edits) =>
        {
            var s = new StringBuilder(text);
            foreach (var (kind, where, ch) in edits)
            {
                if (s.Length == 0) break;
                var at = (int)(where * (s.Length - 1));
                switch (kind)
                {
                    case 0: s.Remove(at, 1); break;
                    case 1: s.Insert(at, ch); break;
                    case 2 when at + 1 < s.Length: (s[at], s[at + 1]) = (s[at + 1], s[at]); break;
                    default: s.Length = Math.Max(0, at); break;
                }
            }

            return s.ToString();
        });

    private static readonly Gen<string> Batch = Gen.Frequency(
        (8, Gen.Frequency((4, Request), (1, Mutated), (1, Value)).Array[1, 20].Select(items => "[" + string.Join(",", items) + "]")),
        (1, Gen.Int[1001, 10_000].Select(n => "[" + string.Join(",", Enumerable.Repeat("{}", n)) + "]")),
        (1, Gen.Int[900, 1000].Select(n => "[" + string.Join(",", Enumerable.Repeat("1", n)) + "]")),
        (1, Gen.Const("[]")));

    private static readonly Gen<string> Text = Gen.Frequency(
        (60, Request), (20, Mutated), (6, Batch), (3, Nested), (3, Value), (1, Gen.String[0, 50]),
        (1, Gen.Int[65_537, 70_000].Select(n => "\"" + new string('z', n) + "\"")));

    public static readonly Gen<FuzzFrame> Frame = Gen.Frequency(
        (85, Text.Select(t => new FuzzFrame(Encoding.UTF8.GetBytes(t), WebSocketMessageType.Text, 1))),
        (8, Gen.Select(Text, Gen.Int[2, 6], (t, k) => new FuzzFrame(Encoding.UTF8.GetBytes(t), WebSocketMessageType.Text, k))),
        (5, Gen.Select(Gen.Byte.Array[0, 200], Gen.Int[1, 3], (b, k) => new FuzzFrame(b, WebSocketMessageType.Binary, k))));

    /// <summary>A request with an invalid UTF-8 sequence put in (overlong, lone continuation, truncated, surrogate half,
    /// above U+10FFFF, 0xFE/0xFF), sent in 1..4 fragments.</summary>
    public static readonly Gen<(byte[] Payload, int Fragments)> InvalidUtf8 = Gen.Select(
        Request, Gen.Double[0, 1], Gen.OneOf<byte[]>([0xC0, 0x80], [0x80], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xFE], [0xFF], [0xE0, 0x80, 0xAF], [0xC3], [0xF0, 0x9F, 0x98]), Gen.Int[1, 4],
        (request, where, bad, fragments) =>
        {
            // The damage lands in the last fragment: the server has then read the whole message when it refuses it. (Damage
            // in an earlier fragment is refused as soon as it is read; fragments the client still sends after it are left
            // unread, and the kernel resets a connection closed with unread input, which may discard the 1007 close frame
            // before the client reads it: docs/faults-and-bad-input.md.)
            var bytes = Encoding.UTF8.GetBytes(request);
            var lastFragment = (fragments - 1) * ((bytes.Length + bad.Length) / fragments);
            var at = Math.Min(bytes.Length, lastFragment + (int)(where * (bytes.Length - Math.Min(bytes.Length, lastFragment))));
            byte[] damaged = [.. bytes.AsSpan(0, at), .. bad, .. bytes.AsSpan(at)];
            return (damaged, fragments);
        });
}
