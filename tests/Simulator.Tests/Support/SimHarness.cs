using System.Text.Json.Nodes;

namespace CallCluster.Simulator.Tests.Support;

/// <summary>A started simulator with fast phones, an MI client and an event listener subscribed to the three call events.</summary>
public sealed class SimHarness : IAsyncDisposable
{
    public static readonly SimulatorOptions Fast = new()
    {
        AnswerDelay = TimeSpan.FromMilliseconds(20),
        SlowAnswerDelay = TimeSpan.FromMilliseconds(400),
        TransactionTimeout = TimeSpan.FromMilliseconds(600),
        InDialogDelay = TimeSpan.FromMilliseconds(5),
    };

    public required OpenSipsSimulator Sim { get; init; }
    public required MiClient Mi { get; init; }
    public required EventListener Events { get; init; }

    public static async Task<SimHarness> StartAsync(SimulatorOptions? options = null, bool subscribe = true)
    {
        var sim = await OpenSipsSimulator.StartAsync(options ?? Fast);
        var h = new SimHarness { Sim = sim, Mi = new MiClient(sim.MiEndPoint), Events = new EventListener() };
        if (subscribe)
        {
            foreach (var e in new[] { "E_DLG_STATE_CHANGED", "E_CALL_TRANSFER", "E_CALL_HOLD" })
                Assert.Equal("OK", (string?)await h.Mi.ResultAsync("event_subscribe", new { @event = e, socket = h.Events.SocketText }));
        }
        return h;
    }

    /// <summary>sim_call and wait until the dialog is confirmed (1→2, 2→3, 3→4 seen). Returns the Call-ID.</summary>
    public async Task<string> ConfirmedCallAsync(string from, string to)
    {
        var callId = (string)(await Mi.ResultAsync("sim_call", new { from, to }))!;
        await Events.WaitForAsync(e => e.Method == "E_DLG_STATE_CHANGED" && e.P("callid") == callId && e.P("new_state") == "4");
        return callId;
    }

    public async Task<JsonObject> DialogAsync(string callId) =>
        (JsonObject)(await Mi.ResultAsync("dlg_list", new { callid = callId }))!["Dialog"]!;

    public async ValueTask DisposeAsync()
    {
        Mi.Dispose();
        Events.Dispose();
        await Sim.DisposeAsync();
    }
}
