using System.Net;
using System.Text.Json;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>Calls between the simulator's phones, through its real MI socket (<c>sim_call</c>, <c>sim_hangup</c>):
/// calls no command started, as when a phone dials another.</summary>
public sealed class SimPhones(IPEndPoint mi) : IDisposable
{
    private readonly MiTestClient _mi = new(mi);

    /// <summary>Places the call; returns its Call-ID once the simulator answers (the callee answered).</summary>
    public async Task<string> CallAsync(string from, string to)
    {
        var reply = await _mi.CallAsync("sim_call", new { from, to });
        Assert.True(reply.TryGetProperty("result", out var result), $"sim_call failed: {reply.GetRawText()}");
        return result.ValueKind == JsonValueKind.String ? result.GetString()! : result.GetRawText();
    }

    public async Task HangUpAsync(string callId)
    {
        var reply = await _mi.CallAsync("sim_hangup", new { callid = callId });
        Assert.True(reply.TryGetProperty("result", out _), $"sim_hangup failed: {reply.GetRawText()}");
    }

    public void Dispose() => _mi.Dispose();
}
