using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CallCluster.Simulator.Tests.Support;

/// <summary>
/// Replays a capture against the simulator: sends every captured mi_request (with captured Call-IDs, dialog IDs and the
/// event socket rewritten to ours), drives the phones the way the ua_request lines did (via sim_ commands), and compares
/// reply shapes/codes and event names/params/relative order step by step. Ids, tags, dialog ids, phone Call-IDs and
/// timestamps are not compared; they are learned and mapped instead.
/// </summary>
public sealed partial class CaptureReplayer
{
    private static readonly Dictionary<string, string> PhonesByPeerPort = new()
    {
        ["4471"] = "sip:alice@127.0.0.1", ["4472"] = "sip:bob@127.0.0.1", ["4473"] = "sip:carol@127.0.0.1", ["4474"] = "sip:dave@127.0.0.1",
    };

    private readonly SimHarness _h;
    private readonly Dictionary<string, string> _map = new(StringComparer.Ordinal);
    private readonly List<string> _failures = [];
    public List<string> Log { get; } = [];

    public CaptureReplayer(SimHarness h)
    {
        _h = h;
        _map["udp:127.0.0.1:9990"] = h.Events.SocketText;
    }

    public async Task<List<string>> RunAsync(string capture)
    {
        var lines = Captures.Load(capture);
        var steps = new List<List<CaptureLine>>();
        foreach (var l in lines)
        {
            if (steps.Count == 0 || steps[^1][0].Step != l.Step) steps.Add([]);
            steps[^1].Add(l);
        }
        foreach (var step in steps) await RunStepAsync(step);
        // Nothing beyond what the capture shows (bounded absence check).
        var extra = await _h.Events.NextAsync(TimeSpan.FromMilliseconds(200));
        if (extra is not null) Fail("end", "extra event " + extra.Raw);
        return _failures;
    }

    private async Task RunStepAsync(List<CaptureLine> step)
    {
        var name = step[0].Step;
        var replies = new Queue<CaptureLine>(step.Where(l => l.Dir == "mi_reply"));
        var hungUp = false;
        for (var i = 0; i < step.Count; i++)
        {
            var l = step[i];
            if (l.Dir == "mi_request")
            {
                var raw = Rewrite(l.Raw);
                var id = IdRegex().Match(l.Raw);
                _h.Mi.SendRaw(raw);
                if (!id.Success && l.Raw.TrimStart().StartsWith('{') && IsJson(l.Raw))
                    continue; // notification: no reply expected
                var expected = replies.Count > 0 ? replies.Dequeue() : null;
                string? got = id.Success
                    ? await _h.Mi.WaitAsync(d => d.Contains("\"id\":" + id.Groups[1].Value + "}", StringComparison.Ordinal), TimeSpan.FromSeconds(5))
                    : await _h.Mi.ReceiveAsync(TimeSpan.FromSeconds(5));
                if (expected is null)
                {
                    if (got is not null) Fail(name, $"unexpected reply {got}");
                    continue;
                }
                if (got is null) { Fail(name, $"no reply to {raw}"); continue; }
                CompareReply(name, expected.Raw, got);
            }
            else if (l.Dir == "ua_request")
            {
                var ua = JsonNode.Parse(l.Raw)!;
                var port = l.Peer?.Split(':')[^1] ?? "";
                var phone = PhonesByPeerPort.GetValueOrDefault(port, "sip:alice@127.0.0.1");
                switch ((string?)ua["command"])
                {
                    case "dial":
                        var ours = (string)(await _h.Mi.ResultAsync("sim_call", new { from = phone, to = (string)ua["params"]! }))!;
                        var reply = step.Skip(i + 1).FirstOrDefault(x => x.Dir == "ua_reply" && x.Raw.Contains("call id:"));
                        var captured = reply is null ? null : CallIdRegex().Match(reply.Raw).Groups[1].Value;
                        if (captured is not null) _map[captured] = ours;
                        break;
                    case "dnd":
                        await _h.Mi.ResultAsync("sim_persona", new { uri = phone, persona = (string?)ua["params"] == "yes" ? "dnd" : "normal" });
                        break;
                    case "hangupall" when !hungUp:
                        // Every phone hangs up everything: BYE on each call still up.
                        hungUp = true;
                        foreach (var callId in _map.Values.Distinct().ToList())
                            await _h.Mi.CallAsync("sim_hangup", new { callid = callId });
                        break;
                }
            }
        }

        var expectedEvents = CollapseUacRinging(step, step.Where(l => l.Dir == "event").Select(l => (JsonObject)JsonNode.Parse(l.Raw)!).ToList());
        List<ReceivedEvent> got2;
        try { got2 = await _h.Events.TakeAsync(expectedEvents.Count, TimeSpan.FromSeconds(5)); }
        catch (TimeoutException ex) { Fail(name, ex.Message); return; }
        MatchEvents(name, expectedEvents, got2);
    }

    /// <summary>
    /// A simulated phone answers a t_uac_dlg INVITE without a 180 (1→3, as in b1); baresip sometimes rang first (1→2, 2→3 in
    /// e4). For the dialogs a step's t_uac_dlg INVITEs create, the captured ringing pair counts as one 1→3.
    /// </summary>
    private static List<JsonObject> CollapseUacRinging(List<CaptureLine> step, List<JsonObject> events)
    {
        var uacCallIds = step.Where(l => l.Dir == "mi_request" && l.Raw.Contains("\"t_uac_dlg\"", StringComparison.Ordinal))
            .Select(l => JsonNode.Parse(l.Raw)?["params"]?["headers"]?.ToString() ?? "")
            .Select(h => UacCallIdRegex().Match(h))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);
        if (uacCallIds.Count == 0) return events;
        var result = new List<JsonObject>();
        foreach (var e in events)
        {
            var p = e["params"]!;
            var isUacDlg = (string?)e["method"] == "E_DLG_STATE_CHANGED" && uacCallIds.Contains(p["callid"]!.ToString());
            if (isUacDlg && (int)p["old_state"]! == 1 && (int)p["new_state"]! == 2) continue;
            if (isUacDlg && (int)p["old_state"]! == 2 && (int)p["new_state"]! == 3)
            {
                var copy = (JsonObject)e.DeepClone();
                copy["params"]!["old_state"] = 1;
                result.Add(copy);
                continue;
            }
            result.Add(e);
        }
        return result;
    }

    private void MatchEvents(string step, List<JsonObject> expected, List<ReceivedEvent> got)
    {
        var used = new bool[got.Count];
        var lastIndexPerCall = new Dictionary<string, int>();
        foreach (var e in expected)
        {
            var idx = -1;
            for (var j = 0; j < got.Count && idx < 0; j++)
                if (!used[j] && Compatible(e, got[j])) idx = j;
            if (idx < 0)
            {
                Fail(step, $"no match for event {e.ToJsonString()} among\n  {string.Join("\n  ", got.Select(g => g.Raw))}");
                continue;
            }
            used[idx] = true;
            var p = (JsonObject)e["params"]!;
            var o = got[idx].Params;
            foreach (var k in new[] { "callid", "transfer_callid", "id" })
            {
                var cv = p[k]?.ToString();
                var ov = o[k]?.ToString();
                if (cv is not null && ov is not null && !_map.ContainsKey(cv)) _map[cv] = ov;
            }
            // Relative order per Call-ID stream must be kept.
            var stream = (string)e["method"]! + "/" + Map(p["callid"]!.ToString());
            if (lastIndexPerCall.TryGetValue(stream, out var last) && last > idx) Fail(step, $"order differs for {stream}");
            lastIndexPerCall[stream] = idx;
            Log.Add($"{step}: {got[idx].Raw}");
        }
    }

    private bool Compatible(JsonObject captured, ReceivedEvent ours)
    {
        if ((string)captured["method"]! != ours.Method) return false;
        var p = (JsonObject)captured["params"]!;
        var o = ours.Params;
        if (!p.Select(k => k.Key).SequenceEqual(o.Select(k => k.Key))) return false;
        if (!SameId(p["callid"]!.ToString(), o["callid"]!.ToString())) return false;
        switch (ours.Method)
        {
            case "E_DLG_STATE_CHANGED":
                return p["old_state"]!.ToString() == o["old_state"]!.ToString() && p["new_state"]!.ToString() == o["new_state"]!.ToString()
                    && (p["to_tag"] is null) == (o["to_tag"] is null);
            case "E_CALL_TRANSFER":
                var leg = p["leg"]!.ToString() == p["transfer_callid"]!.ToString() ? "<new>" : p["leg"]!.ToString();
                var ourLeg = o["leg"]!.ToString() == o["transfer_callid"]!.ToString() ? "<new>" : o["leg"]!.ToString();
                return leg == ourLeg && SameId(p["transfer_callid"]!.ToString(), o["transfer_callid"]!.ToString())
                    && p["state"]!.ToString() == o["state"]!.ToString() && p["status"]!.ToString() == o["status"]!.ToString()
                    && Osid(p["destination"]!.ToString()) == Osid(o["destination"]!.ToString());
            case "E_CALL_HOLD":
                return p["leg"]!.ToString() == o["leg"]!.ToString() && p["action"]!.ToString() == o["action"]!.ToString()
                    && p["state"]!.ToString() == o["state"]!.ToString();
            default:
                return true;
        }
    }

    /// <summary>A captured id matches ours if mapped to it, or if unknown and ours is not already someone else's.</summary>
    private bool SameId(string captured, string ours) =>
        _map.TryGetValue(captured, out var m) ? m == ours : captured == ours || !_map.ContainsValue(ours);

    private static string Osid(string uri) => OsidRegex().Replace(uri, ";osid=<did>");

    private string Map(string s) => _map.GetValueOrDefault(s, s);

    private string Rewrite(string raw)
    {
        foreach (var (k, v) in _map.OrderByDescending(kv => kv.Key.Length)) raw = raw.Replace(k, v, StringComparison.Ordinal);
        return raw;
    }

    private void CompareReply(string step, string expected, string got)
    {
        if (!expected.StartsWith('{'))
        {
            if (expected != got) Fail(step, $"expected plain '{expected}', got '{got}'");
            return;
        }
        if (!got.StartsWith('{')) { Fail(step, $"expected JSON, got '{got}'"); return; }
        var e = (JsonObject)JsonNode.Parse(expected)!;
        var g = (JsonObject)JsonNode.Parse(got)!;
        if (!e.Select(k => k.Key).SequenceEqual(g.Select(k => k.Key))) { Fail(step, $"key order: {expected} vs {got}"); return; }
        if (e["error"] is { } err)
        {
            if (err.ToJsonString() != g["error"]!.ToJsonString()) Fail(step, $"error {err.ToJsonString()} vs {g["error"]!.ToJsonString()}");
            return;
        }
        var er = e["result"]!;
        var gr = g["result"]!;
        if (er is JsonValue)
        {
            if (er.ToJsonString() != gr.ToJsonString()) Fail(step, $"result {er.ToJsonString()} vs {gr.ToJsonString()}");
            return;
        }
        if (er is JsonObject eo && gr is JsonObject go)
        {
            if (!eo.Select(k => k.Key).SequenceEqual(go.Select(k => k.Key))) { Fail(step, $"result keys {er.ToJsonString()[..Math.Min(200, er.ToJsonString().Length)]} vs {gr.ToJsonString()[..Math.Min(200, gr.ToJsonString().Length)]}"); return; }
            if (eo["Status"] is { } st && st.ToString() != go["Status"]!.ToString()) Fail(step, $"Status {st} vs {go["Status"]}");
            if (eo["Dialog"] is JsonObject ed && go["Dialog"] is JsonObject gd && !ed.Select(k => k.Key).SequenceEqual(gd.Select(k => k.Key)))
                Fail(step, $"Dialog keys {string.Join(",", ed.Select(k => k.Key))} vs {string.Join(",", gd.Select(k => k.Key))}");
            if (eo["Events"] is JsonArray ea && go["Events"] is JsonArray ga)
            {
                var en = string.Join(",", ea.Select(x => x!["name"]!.ToString()));
                var gn = string.Join(",", ga.Select(x => x!["name"]!.ToString()));
                if (en != gn) Fail(step, $"Events {en} vs {gn}");
            }
            if (eo["Event"] is JsonObject ev && go["Event"] is JsonObject gv && ev["name"]?.ToString() != gv["name"]?.ToString()) Fail(step, "Event name differs");
        }
    }

    private static bool IsJson(string s)
    {
        try { JsonNode.Parse(s); return true; }
        catch (System.Text.Json.JsonException) { return false; }
    }

    private void Fail(string step, string message) => _failures.Add($"[{step}] {message}");

    [GeneratedRegex("\"id\":(-?\\d+|\"[^\"]*\")\\s*[,}]")]
    private static partial Regex IdRegex();

    [GeneratedRegex("call id: ([0-9a-zA-Z-]+)")]
    private static partial Regex CallIdRegex();

    [GeneratedRegex("(?im)^Call-I[dD]:\\s*(\\S+)\\s*$")]
    private static partial Regex UacCallIdRegex();

    [GeneratedRegex(";osid=[0-9a-f.]+")]
    private static partial Regex OsidRegex();
}
