using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using static CallCluster.TestSupport.Json;

namespace CallCluster.Cluster.Tests.Support;

/// <summary>One notification as the client received it, with the moment it arrived (on the tracker's clock).</summary>
public sealed record Note(string CmdId, int Seq, string Method, string? Data, string? Status, string? CallId, string? Leg,
    int? ErrorCode, string? ErrorMessage, TimeSpan At)
{
    public bool IsEnded => Method == "Ended";

    public string Code => IsEnded ? "Ended " + Status : Data ?? "?";
}

/// <summary>Many commands in flight on one WebSocket connection: requests are matched to replies by <c>id</c> and
/// notifications are kept per <c>cmd_id</c> with their arrival time, so a test can look at all of them at once.</summary>
public sealed class CommandTracker : IAsyncDisposable
{
    private readonly RpcTestClient _client;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _replies = new();
    private readonly ConcurrentDictionary<string, List<Note>> _notes = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Stopwatch _clock;
    private readonly Task _loop;
    private int _nextId;

    private CommandTracker(RpcTestClient client, Stopwatch clock, string name)
    {
        _client = client;
        _clock = clock;
        Name = name;
        _loop = Task.Run(ReadLoopAsync);
    }

    public string Name { get; }

    /// <summary>Completes when the server closed or dropped the connection.</summary>
    public Task Closed => _loop;

    public static async Task<CommandTracker> ConnectAsync(Uri endpoint, Stopwatch clock, string name) =>
        new(await RpcTestClient.ConnectAsync(endpoint), clock, name);

    /// <summary>Sends a command request and returns its cmd_id from the reply (throws when refused).</summary>
    public async Task<string> StartAsync(string method, object parameters, TimeSpan? timeout = null)
    {
        var reply = await RequestAsync(method, parameters, timeout ?? TimeSpan.FromSeconds(30));
        if (!reply.TryGetProperty("result", out _))
        {
            throw new InvalidOperationException($"{method} refused: {reply.GetRawText()}");
        }

        var cmdId = Str(reply, "result", "cmd_id")!;
        _notes.TryAdd(cmdId, []);
        return cmdId;
    }

    /// <summary><c>CommandSubscribe {cmd_id, after_seq}</c>: the reply, then the replayed and live notifications.</summary>
    public async Task<JsonElement> SubscribeAsync(string cmdId, int afterSeq, TimeSpan? timeout = null)
    {
        _notes.TryAdd(cmdId, []);
        return await RequestAsync("CommandSubscribe", new { cmd_id = cmdId, after_seq = afterSeq }, timeout ?? TimeSpan.FromSeconds(30));
    }

    public async Task<JsonElement> RequestAsync(string method, object parameters, TimeSpan timeout)
    {
        var id = $"{Name}-{Interlocked.Increment(ref _nextId)}";
        var reply = _replies.GetOrAdd(id, _ => new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _sendLock.WaitAsync();
        try
        {
            await _client.SendAsync(new { jsonrpc = "2.0", id, method, @params = parameters });
        }
        finally
        {
            _sendLock.Release();
        }

        try
        {
            return await reply.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no reply to {method} ({id}) within {timeout}");
        }
    }

    public IReadOnlyList<Note> Notes(string cmdId)
    {
        if (!_notes.TryGetValue(cmdId, out var list))
        {
            return [];
        }

        lock (list)
        {
            return list.ToList();
        }
    }

    public IReadOnlyList<Note> AllNotes() => _notes.Keys.SelectMany(Notes).OrderBy(n => n.At).ToList();

    public bool IsEnded(string cmdId) => Notes(cmdId).Any(n => n.IsEnded);

    public int LastSeq(string cmdId) => Notes(cmdId).Select(n => n.Seq).DefaultIfEmpty(0).Max();

    /// <summary>Polls <paramref name="condition"/> until it holds; on timeout, throws with <paramref name="describe"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"not within {timeout}: {describe()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Polls an asynchronous <paramref name="condition"/> (exceptions count as false) until it holds.</summary>
    public static async Task WaitUntilAsyncAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                last = e;
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"not within {timeout}: {describe()}" + (last is null ? "" : $" (last error: {last.Message})"));
            }

            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _sendLock.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        while (true)
        {
            JsonElement message;
            try
            {
                message = await _client.ReceiveAsync(TimeSpan.FromHours(1));
            }
            catch (Exception e) when (e is System.Threading.Channels.ChannelClosedException or TimeoutException or InvalidOperationException)
            {
                return;
            }

            var at = _clock.Elapsed;
            if (IsReply(message))
            {
                var id = Str(message, "id") ?? "";
                _replies.GetOrAdd(id, _ => new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously))
                    .TrySetResult(message);
                continue;
            }

            if (!IsNotification(message, "Event") && !IsNotification(message, "Ended"))
            {
                continue;
            }

            var p = message.GetProperty("params");
            var errorCode = p.TryGetProperty("error", out var error) && error.TryGetProperty("code", out var code) ? code.GetInt32() : (int?)null;
            var note = new Note(Str(p, "cmd_id")!, Int(p, "seq"), Str(message, "method")!, Str(p, "data"), Str(p, "status"),
                Str(p, "callid"), Str(p, "leg"), errorCode, Str(p, "error", "message"), at);
            var list = _notes.GetOrAdd(note.CmdId, _ => []);
            lock (list)
            {
                list.Add(note);
            }
        }
    }
}
