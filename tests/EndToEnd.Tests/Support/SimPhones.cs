using System.Net;
using System.Text.Json;

namespace CallCluster.EndToEnd.Tests.Support;

/// <summary>Calls between the simulator's phones, through its real MI socket (<c>sim_call</c>, <c>sim_hangup</c>):
/// calls no command started, as when a phone dials another.</summary>
public sealed class SimPhones(IPEndPoint mi) : IDisposable
{
    private readonly MiTestClient _mi = new(mi);

    /// <summary>Places the call; returns its Call-ID at once (the callee rings, then answers after the simulator's
    /// answer-delay: see <see cref="WaitAnsweredAsync"/>).</summary>
    public async Task<string> CallAsync(string from, string to)
    {
        var reply = await _mi.CallAsync("sim_call", new { from, to });
        Assert.True(reply.TryGetProperty("result", out var result), $"sim_call failed: {reply.GetRawText()}");
        return result.ValueKind == JsonValueKind.String ? result.GetString()! : result.GetRawText();
    }

    /// <summary>Until the proxy reports the call confirmed (state 4), bounded: a hang-up before it would cancel the call.</summary>
    public async Task WaitAnsweredAsync(string callId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await _mi.DialogStateAsync(callId) != 4)
        {
            Assert.True(DateTime.UtcNow < deadline, $"call {callId} was not answered within 20 s");
            await Task.Delay(50); // not faster: bursts of calls would flood the proxy's MI with dlg_list
        }
    }

    /// <summary>A call between two phones, answered: its Call-ID.</summary>
    public async Task<string> AnsweredCallAsync(string from, string to)
    {
        var callId = await CallAsync(from, to);
        await WaitAnsweredAsync(callId);
        return callId;
    }

    public async Task HangUpAsync(string callId)
    {
        var reply = await _mi.CallAsync("sim_hangup", new { callid = callId });
        Assert.True(reply.TryGetProperty("result", out _), $"sim_hangup failed: {reply.GetRawText()}");
    }

    public void Dispose() => _mi.Dispose();
}
