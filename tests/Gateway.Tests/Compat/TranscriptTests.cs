using System.Text.Json;
using Akka.Actor;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using Xunit.Abstractions;

namespace CallCluster.Gateway.Tests.Compat;

/// <summary>Replays each transcript of the original dialect frame by frame over a real WebSocket to
/// <c>/call-api/compat</c>. The command service is a probe: the transcript's <c>native</c> lines say what it answers
/// and which native notifications the command emits, so each file pins the mapping of docs/compat-dialect.md.</summary>
public sealed class TranscriptTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public TranscriptTests(ITestOutputHelper output) : base("akka.loglevel = INFO", output) => _output = output;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    // Resubscribing a quiet command would only add noise to the probe; no transcript is quiet that long.
    private static readonly GatewaySettings Settings = GatewaySettings.Default with
    {
        Host = "127.0.0.1", Port = 0, AskTimeout = TimeSpan.FromSeconds(20), ResubscribeAfter = TimeSpan.FromMinutes(10),
    };

    public static IEnumerable<object[]> All() => Transcript.Names().Select(n => new object[] { n });

    [Fact]
    public void Every_command_of_the_original_has_a_transcript()
    {
        var names = Transcript.Names().ToList();
        foreach (var method in new[] { "CallStart", "CallBlindTransfer", "CallAttendedTransfer", "CallHold", "CallUnhold", "CallEnd" })
        {
            Assert.Contains(names, n => n.StartsWith(method + ".", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task Replays_frame_by_frame(string name)
    {
        var transcript = Transcript.Load(name);
        var region = CreateTestProbe();
        await using var server = await GatewayServer.StartAsync(Sys, region.Ref, Settings);
        Assert.NotNull(server.CompatEndpoint);
        await using var client = await WsClient.ConnectAsync(server.CompatEndpoint!);

        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        StartCommand? current = null;
        var awaitingStart = false;
        var seq = 0;
        foreach (var step in transcript.Steps)
        {
            var at = $"{name}.transcript:{step.Line}";
            switch (step.Kind)
            {
                case '>':
                    await client.SendAsync(step.Text);
                    awaitingStart = true;
                    break;
                case '<':
                    var frame = await client.ReceiveTextAsync(Wait) ?? throw new Xunit.Sdk.XunitException($"{at}: server closed");
                    _output.WriteLine("< " + frame);
                    using (var expected = JsonDocument.Parse(step.Text))
                    using (var actual = JsonDocument.Parse(frame))
                    {
                        JsonMatch.AssertMatches(expected.RootElement, actual.RootElement, vars, at);
                    }

                    break;
                default:
                    if (awaitingStart)
                    {
                        current = FishStart(region);
                        awaitingStart = false;
                        seq = 0;
                    }

                    Assert.True(current is not null, $"{at}: a native line before any command reached the service");
                    Perform(current!, step.Text, ref seq);
                    break;
            }
        }

        // Nothing more may come: the original's clients read until Ended/Error and the transcript ends there.
        await client.SendAsync("""{"jsonrpc":"2.0","id":"last","method":"NoSuchMethod","params":{}}""");
        using var last = JsonDocument.Parse((await client.ReceiveTextAsync(Wait))!);
        Assert.Equal("last", last.RootElement.GetProperty("id").GetString());
    }

    private static StartCommand FishStart(TestProbe region)
    {
        while (true)
        {
            if (region.ReceiveOne(Wait) is StartCommand start)
            {
                return start;
            }
        }
    }

    /// <summary><c>{"accept":true|"existing"}</c>, <c>{"reject":{code,message,data}}</c>, <c>{"event":CODE, callid?, leg?,
    /// destination?, sip_status?}</c>, <c>{"ended":"ok"}</c>, <c>{"ended":"failed","code":..,"message":..}</c>.</summary>
    private static void Perform(StartCommand start, string directive, ref int seq)
    {
        using var doc = JsonDocument.Parse(directive);
        var d = doc.RootElement;
        string? Str(string key) => d.TryGetProperty(key, out var v) ? v.GetString() : null;
        var to = start.Subscriber;
        if (d.TryGetProperty("accept", out var accept))
        {
            to.Tell(new CommandAccepted(start.CmdId, accept.ValueKind == JsonValueKind.String));
        }
        else if (d.TryGetProperty("reject", out var reject))
        {
            to.Tell(new CommandRejected(start.CmdId, reject.GetProperty("code").GetInt32(), reject.GetProperty("message").GetString()!,
                reject.TryGetProperty("data", out var data) ? data.GetString() : null));
        }
        else if (Str("event") is { } code)
        {
            to.Tell(CommandNotification.Event(start.CmdId, ++seq, code, Str("callid"), Str("leg"), Str("destination"), Str("sip_status")));
        }
        else if (Str("ended") == "ok")
        {
            to.Tell(CommandNotification.EndedOk(start.CmdId, ++seq));
        }
        else if (Str("ended") == "failed")
        {
            to.Tell(CommandNotification.EndedFailed(start.CmdId, ++seq, d.GetProperty("code").GetInt32(), Str("message")!));
        }
        else if (Str("replay") is not null)
        {
            // An idempotent repeat: the entity replays from seq 1.
            seq = 0;
        }
        else
        {
            throw new FormatException("unknown native directive " + directive);
        }
    }
}
