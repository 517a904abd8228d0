using System.Diagnostics;
using System.Text.Json;
using static CallCluster.TestSupport.Json;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>One command of a batch: its cmd_id, how it ended (null while running) and when (from the batch's start).</summary>
public sealed record BatchOutcome(string Id, string? CmdId, string? Status, int? Code, string? Message, TimeSpan? EndedAt, IReadOnlyList<string> Events);

/// <summary>Sends many commands on one connection and follows them all until each has ended or a deadline passes,
/// recording each command's end time: what the fault tests count (ok, failed by code, still running).</summary>
public static class CommandBatch
{
    public static async Task<IReadOnlyList<BatchOutcome>> RunAsync(RpcTestClient client,
        IReadOnlyList<(string Method, object Params)> commands, TimeSpan deadline, Stopwatch? clock = null)
    {
        clock ??= Stopwatch.StartNew();
        var ids = new List<string>();
        foreach (var (method, parameters) in commands)
        {
            var id = "r" + ids.Count;
            ids.Add(id);
            await client.SendAsync(new { jsonrpc = "2.0", id, method, @params = parameters });
        }

        var cmdIds = new Dictionary<string, string>();
        var replies = new Dictionary<string, JsonElement>();
        var events = new Dictionary<string, List<string>>();
        var ended = new Dictionary<string, (JsonElement Ended, TimeSpan At)>();
        var until = clock.Elapsed + deadline;
        while (ended.Count + replies.Values.Count(r => r.TryGetProperty("error", out _)) < commands.Count)
        {
            var left = until - clock.Elapsed;
            if (left <= TimeSpan.Zero) break;
            JsonElement m;
            try
            {
                m = await client.ReceiveAsync(left);
            }
            catch (TimeoutException)
            {
                break;
            }

            if (IsReply(m))
            {
                var id = Str(m, "id")!;
                replies[id] = m;
                if (Str(m, "result", "cmd_id") is { } cmdId) cmdIds[cmdId] = id;
                continue;
            }

            var cmd = Str(m, "params", "cmd_id")!;
            if (IsNotification(m, "Ended"))
            {
                ended[cmd] = (m, clock.Elapsed);
            }
            else
            {
                (events.TryGetValue(cmd, out var list) ? list : events[cmd] = []).Add(Str(m, "params", "data") ?? "?");
            }
        }

        var byRequest = cmdIds.ToDictionary(kv => kv.Value, kv => kv.Key);
        return ids.Select(id =>
        {
            if (replies.TryGetValue(id, out var reply) && reply.TryGetProperty("error", out _))
            {
                return new BatchOutcome(id, null, "rejected", Int(reply, "error", "code"), Str(reply, "error", "message"), null, []);
            }

            if (!byRequest.TryGetValue(id, out var cmdId)) return new BatchOutcome(id, null, null, null, null, null, []);
            var evts = events.TryGetValue(cmdId, out var l) ? l : [];
            if (!ended.TryGetValue(cmdId, out var e)) return new BatchOutcome(id, cmdId, null, null, null, null, evts);
            var status = Str(e.Ended, "params", "status");
            int? code = status == "failed" ? Int(e.Ended, "params", "error", "code") : null;
            return new BatchOutcome(id, cmdId, status, code, Str(e.Ended, "params", "error", "message"), e.At, evts);
        }).ToList();
    }

    /// <summary>"41 ok, 4 failed -32003, 5 running; last ended at 12.3 s" and one line per distinct failure message.</summary>
    public static string Describe(IReadOnlyList<BatchOutcome> outcomes)
    {
        var groups = outcomes.GroupBy(o => o.Status switch
        {
            null => "running",
            "failed" or "rejected" => $"{o.Status} {o.Code}",
            _ => o.Status,
        }).Select(g => $"{g.Count()} {g.Key}");
        var last = outcomes.Where(o => o.EndedAt is not null).Select(o => o.EndedAt!.Value).DefaultIfEmpty().Max();
        var messages = outcomes.Where(o => o.Message is not null).GroupBy(o => $"{o.Code} {o.Message}")
            .Select(g => $"  {g.Count()} x {g.Key}");
        return string.Join(", ", groups) + $"; last ended at {last.TotalSeconds:0.0} s\n" + string.Join("\n", messages);
    }

    public static IReadOnlyList<(string Method, object Params)> CallStarts(int count, string prefix) =>
        Enumerable.Range(0, count)
            .Select(i => ("CallStart", (object)new { caller = $"sip:{prefix}a{i}@127.0.0.1", callee = $"sip:{prefix}b{i}@127.0.0.1" }))
            .ToList();
}
