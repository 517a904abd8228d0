using CallCluster.Simulator.Tests.Support;

namespace CallCluster.Simulator.Tests;

/// <summary>Phone personas chosen by user-name prefix or by sim_persona, seen through sim_call's dialog events.</summary>
public sealed class PersonaTests : IAsyncLifetime
{
    private SimHarness _h = null!;
    public async Task InitializeAsync() => _h = await SimHarness.StartAsync();
    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<List<string>> CallAndCollect(string to, int events)
    {
        var callId = (string)(await _h.Mi.ResultAsync("sim_call", new { from = "sip:alice@127.0.0.1", to }))!;
        var evs = await _h.Events.TakeAsync(events);
        Assert.All(evs, e => Assert.Equal(callId, e.P("callid")));
        return evs.Select(e => $"{e.P("old_state")}-{e.P("new_state")}{(e.Params["to_tag"] is null ? " notag" : "")}").ToList();
    }

    [Theory]
    [InlineData("sip:busy-bob@127.0.0.1", new[] { "1-5" })]
    [InlineData("sip:reject7@127.0.0.1", new[] { "1-5" })]
    [InlineData("sip:dnd@127.0.0.1", new[] { "1-5" })]
    [InlineData("sip:nobody@127.0.0.1", new[] { "1-5 notag" })]
    [InlineData("sip:noanswer1@127.0.0.1", new[] { "1-2", "2-5" })]
    [InlineData("sip:slow1@127.0.0.1", new[] { "1-2", "2-3", "3-4" })]
    [InlineData("sip:norefer1@127.0.0.1", new[] { "1-2", "2-3", "3-4" })]
    public async Task Persona_by_prefix(string to, string[] expected) =>
        Assert.Equal(expected, await CallAndCollect(to, expected.Length));

    [Fact]
    public async Task Slow_phone_answers_after_the_slow_delay()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await _h.Sim.PlaceCallAsync("sip:alice@127.0.0.1", "sip:slowcoach@127.0.0.1");
        Assert.True(sw.Elapsed >= SimHarness.Fast.SlowAnswerDelay - TimeSpan.FromMilliseconds(50), sw.Elapsed.ToString());
    }

    [Fact]
    public async Task Sim_persona_overrides_and_restores()
    {
        await _h.Mi.ResultAsync("sim_persona", new { uri = "sip:bob@127.0.0.1", persona = "busy" });
        Assert.Equal(["1-5"], await CallAndCollect("sip:bob@127.0.0.1", 1));
        await _h.Mi.ResultAsync("sim_persona", new { uri = "<sip:bob@127.0.0.1>", persona = "normal" });
        Assert.Equal(["1-2", "2-3", "3-4"], await CallAndCollect("sip:bob@127.0.0.1", 3));
    }
}
