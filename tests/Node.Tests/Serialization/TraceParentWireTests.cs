using System.Diagnostics;
using Akka.Configuration;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Journal;
using CallCluster.Hosting;
using CallCluster.Hosting.Tracing;
using MessagePack;
using MessagePack.Resolvers;

namespace CallCluster.Node.Tests.Serialization;

/// <summary>The gateway's trace context crosses to the call node inside StartCommand (docs/tracing.md), optionally and
/// compatibly both ways during a rolling update; the journal's CommandStarted keeps the command's first span's, optionally
/// too.</summary>
public sealed class TraceParentWireTests : Akka.TestKit.Xunit2.TestKit
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static readonly Config SystemConfig =
        ConfigLoader.ParseFile(Path.Combine(ConfigLoader.HoconDirectory, "base.conf"))
            .WithFallback(ConfigurationFactory.ParseString("akka.actor.provider = local"));

    private static readonly MessagePackSerializerOptions Contractless =
        MessagePackSerializerOptions.Standard.WithResolver(ContractlessStandardResolverAllowPrivate.Instance);

    public TraceParentWireTests() : base(SystemConfig)
    {
    }

    [Fact]
    public void StartCommand_carries_the_traceparent_through_the_serializer_and_the_node_reads_the_gateways_span_from_it()
    {
        var sent = new StartCommand("cmd-t", CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "c" }, TestActor)
        {
            TraceParent = TraceParent,
        };

        var back = RoundTrip(sent);

        Assert.Equal(TraceParent, back.TraceParent);
        var parent = CallClusterTracing.ParseTraceParent(back.TraceParent);
        Assert.Equal(("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", ActivityTraceFlags.Recorded, true),
            (parent.TraceId.ToHexString(), parent.SpanId.ToHexString(), parent.TraceFlags, parent.IsRemote));
    }

    [Fact]
    public void A_StartCommand_from_a_node_without_tracing_reads_as_untraced()
    {
        var untraced = new StartCommand("cmd-u", CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "c" }, TestActor);
        Assert.Null(RoundTrip(untraced).TraceParent);

        // What a build before the field wrote: the same map without its key.
        var serializer = Sys.Serialization.FindSerializerFor(untraced);
        var withField = MessagePackSerializer.Deserialize<Dictionary<string, object?>>(serializer.ToBinary(untraced), Contractless);
        Assert.True(withField.Remove(nameof(StartCommand.TraceParent)), "the field is written under its name");
        var oldBytes = MessagePackSerializer.Serialize(withField, Contractless);

        var back = (StartCommand)Sys.Serialization.Deserialize(oldBytes, serializer.Identifier, "stc");

        Assert.Equal(("cmd-u", CommandMethods.CallEnd, "c", (string?)null), (back.CmdId, back.Method, back.Params["callid"], back.TraceParent));
        Assert.Equal(TestActor.Path, back.Subscriber.Path);
    }

    [Fact]
    public void A_node_that_predates_the_field_reads_a_traced_StartCommand_and_skips_the_context()
    {
        var traced = new StartCommand("cmd-o", CommandMethods.CallHold, new Dictionary<string, string> { ["callid"] = "c" }, TestActor)
        {
            TraceParent = TraceParent,
        };
        var bytes = Sys.Serialization.FindSerializerFor(traced).ToBinary(traced);

        var old = MessagePackSerializer.Deserialize<StartCommandBeforeTracing>(bytes, Contractless);

        Assert.Equal(("cmd-o", CommandMethods.CallHold, "c"), (old.CmdId, old.Method, old.Params["callid"]));
        Assert.Contains(TestActor.Path.Name, old.Subscriber);
    }

    [Fact]
    public void Invalid_or_missing_traceparents_start_a_new_trace()
    {
        Assert.Equal(default, CallClusterTracing.ParseTraceParent(null));
        Assert.Equal(default, CallClusterTracing.ParseTraceParent("not-a-traceparent"));
        Assert.Equal(default, CallClusterTracing.ParseTraceParent("00-00000000000000000000000000000000-b7ad6b7169203331-01"));
    }

    [Fact]
    public void The_journal_event_of_a_start_keeps_the_first_spans_traceparent_and_events_stored_without_it_read_as_null()
    {
        // A resumed command links its span to its first one through it (CommandEntityTracingTests).
        var started = new CommandStarted("cmd-j", CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "c" },
            DateTimeOffset.UnixEpoch) { TraceParent = TraceParent };
        var serializer = Sys.Serialization.FindSerializerFor(started);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, started);
        var back = (CommandStarted)Sys.Serialization.Deserialize(serializer.ToBinary(started), serializer.Identifier, manifest);
        Assert.Equal(TraceParent, back.TraceParent);

        // What the journal holds from before the field (tests/Node.Tests/Fixtures replays such events too).
        var withField = MessagePackSerializer.Deserialize<Dictionary<string, object?>>(serializer.ToBinary(started), Contractless);
        Assert.True(withField.Remove(nameof(CommandStarted.TraceParent)), "the field is written under its name");
        var old = (CommandStarted)Sys.Serialization.Deserialize(MessagePackSerializer.Serialize(withField, Contractless),
            serializer.Identifier, manifest);
        Assert.Equal(("cmd-j", "c", (string?)null), (old.CmdId, old.Params["callid"], old.TraceParent));
    }

    private StartCommand RoundTrip(StartCommand message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        return (StartCommand)Sys.Serialization.Deserialize(
            serializer.ToBinary(message), serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));
    }

    /// <summary>StartCommand as builds before issue 18's tracing declared it (the subscriber read as its path).</summary>
    public sealed record StartCommandBeforeTracing(string CmdId, string Method, Dictionary<string, string> Params, string Subscriber);
}
