using Akka.Actor;
using Akka.Configuration;
using CallCluster.Simulator.Tests.Support;

namespace CallCluster.Simulator.Tests;

/// <summary>HOCON options, embedded mode inside a host ActorSystem, and the fault switch.</summary>
public sealed class OptionsAndHostingTests
{
    [Fact]
    public void From_config_reads_kebab_case_keys()
    {
        var cfg = ConfigurationFactory.ParseString("""
            callcluster.simulator {
              bind-address = "127.0.0.1"
              mi-port = 8081
              answer-delay = 10ms
              slow-answer-delay = 2s
              transaction-timeout = 3s
              compat-3x = true
              fault-drop-share = 0.25
              fault-seed = 7
            }
            """);
        var o = SimulatorOptions.FromConfig(cfg);
        Assert.Equal(8081, o.MiPort);
        Assert.Equal(TimeSpan.FromMilliseconds(10), o.AnswerDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), o.SlowAnswerDelay);
        Assert.Equal(TimeSpan.FromSeconds(3), o.TransactionTimeout);
        Assert.True(o.Compat3x);
        Assert.Equal(0.25, o.FaultDropShare);
        Assert.Equal(7, o.FaultSeed);
        Assert.Equal(new SimulatorOptions(), SimulatorOptions.FromConfig(ConfigurationFactory.Empty));
    }

    [Theory]
    [InlineData("on", true)]
    [InlineData("off", false)]
    [InlineData("true", true)]
    public void Ack_1xx_refer_notify_is_an_on_off_switch(string value, bool expected)
    {
        var cfg = ConfigurationFactory.ParseString($"callcluster.simulator.ack-1xx-refer-notify = {value}");
        Assert.Equal(expected, SimulatorOptions.FromConfig(cfg).Ack1xxReferNotify);
    }

    [Fact]
    public void Ack_1xx_refer_notify_rejects_other_values() =>
        Assert.Throws<FormatException>(() => SimulatorOptions.FromConfig(ConfigurationFactory.ParseString("callcluster.simulator.ack-1xx-refer-notify = maybe")));

    [Fact]
    public void Ended_dialog_retention_can_be_zero() =>
        Assert.Equal(TimeSpan.Zero, SimulatorOptions.FromConfig(ConfigurationFactory.ParseString("callcluster.simulator.ended-dialog-retention = 0s")).EndedDialogRetention);

    [Fact]
    public void Unset_env_override_keeps_the_default()
    {
        // Akka.NET HOCON makes "x = ${?UNSET}" an empty value: FromConfig treats empty as not configured.
        var cfg = ConfigurationFactory.ParseString("callcluster.simulator {\n bind-address = \"127.0.0.1\"\n answer-delay = 10ms\n mi-port = ${?CALLCLUSTER_SIM_TEST_UNSET_VAR}\n}");
        var o = SimulatorOptions.FromConfig(cfg);
        Assert.Equal(0, o.MiPort);
        Assert.Equal(TimeSpan.FromMilliseconds(10), o.AnswerDelay);
    }

    [Fact]
    public async Task Runs_embedded_in_a_host_actor_system_and_leaves_it_running()
    {
        using var system = ActorSystem.Create("host");
        var sim = await OpenSipsSimulator.StartAsync(SimHarness.Fast, system);
        using (var mi = new MiClient(sim.MiEndPoint))
        {
            Assert.NotNull(await mi.ResultAsync("version"));
            Assert.NotEqual(0, sim.MiEndPoint.Port);
            var callId = await sim.PlaceCallAsync("sip:alice@127.0.0.1", "sip:bob@127.0.0.1");
            Assert.False(string.IsNullOrEmpty(callId));
        }
        await sim.DisposeAsync();
        Assert.False(system.WhenTerminated.IsCompleted);
        // A second simulator can run in the same host system.
        await using var again = await OpenSipsSimulator.StartAsync(SimHarness.Fast, system);
        using var mi2 = new MiClient(again.MiEndPoint);
        Assert.NotNull(await mi2.ResultAsync("version"));
    }

    [Fact]
    public async Task Fault_switch_drops_and_reorders_deterministically()
    {
        static async Task<List<int>> Run()
        {
            await using var h = await SimHarness.StartAsync(SimHarness.Fast with { FaultDropShare = 0.2, FaultReorderShare = 0.2, FaultSeed = 42 }, subscribe: false);
            for (var i = 0; i < 40; i++) h.Mi.SendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"id\":" + i + "}");
            var got = new List<int>();
            // Bounded: at most 40 replies, each awaited for at most 1 s.
            for (var i = 0; i < 40; i++)
            {
                var r = await h.Mi.ReceiveAsync(TimeSpan.FromMilliseconds(1000));
                if (r is null) break;
                got.Add(int.Parse(r[(r.LastIndexOf(':') + 1)..^1], System.Globalization.CultureInfo.InvariantCulture));
            }
            return got;
        }
        var first = await Run();
        Assert.InRange(first.Count, 20, 39);                              // some dropped, most delivered
        Assert.NotEqual(first.Order().ToList(), first);                   // some reordered
        // Same seed, same faults: the same replies are dropped (a held one may go out by timer or after the next one).
        Assert.Equal(first.Order(), (await Run()).Order());
    }
}
