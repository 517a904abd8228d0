using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using CallCluster.Contracts;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Journal;
using CallCluster.Contracts.Serialization;
using CallCluster.Hosting;

namespace CallCluster.Node.Tests.Serialization;

/// <summary>Every cluster message and journal event goes through MessagePack (not Akka's JSON default) and comes
/// back equal, actor references included.</summary>
public sealed class MessagePackSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config SystemConfig =
        ConfigLoader.ParseFile(Path.Combine(ConfigLoader.HoconDirectory, "base.conf"))
            .WithFallback(ConfigurationFactory.ParseString("akka.actor.provider = local"));

    public MessagePackSerializerTests() : base(SystemConfig)
    {
    }

    public static TheoryData<ICallClusterMessage> Messages()
    {
        var parameters = new Dictionary<string, string> { ["callid"] = "abc@host", ["leg"] = "caller" };
        var notification = CommandNotification.Event("cmd-1", 3, EventCodes.CallStart, "new-call", "callee", "sip:bob@x", "200 OK");
        return new TheoryData<ICallClusterMessage>
        {
            new CommandAccepted("cmd-1", true),
            new CommandRejected("cmd-1", ErrorCodes.InvalidParams, "Invalid params", "callid: required"),
            new CommandSubscribed("cmd-1", CommandMethods.CallEnd, "running", 4),
            notification,
            CommandNotification.EndedFailed("cmd-1", 4, ErrorCodes.CallUnknown, "unknown call"),
            CommandNotification.EndedOk("cmd-1", 2),
            new GetCommand("cmd-1"),
            new CommandSnapshot("cmd-1", CommandMethods.CallEnd, parameters, "ok", [notification]),
            new DialogStateChanged("call-1", "1f5.85c96ae2", "6533427928152", "ft", null, 3, 4),
            new CallTransferEvent("call-1", "callee", "new-1", "sip:bob@x", "ok", "200 OK"),
            new CallHoldEvent("call-1", "caller", "hold", "start"),
            new AttachCommand("call-1", "cmd-1"),
            new DetachCommand("call-1", "cmd-1"),
            new GetDialog("call-1"),
            new DialogAttached("cmd-1", new DialogView("call-1", "1.2", "a", "b", 4, ["cmd-1", "cmd-2"])),
            new DialogEventNotice("cmd-1", new DialogStateChanged("call-1", "1.2", null, null, null, 4, 5)),
            new DialogEventHandedOver("call-1", new CallTransferEvent("call-1", "callee", "new-1", "sip:bob@x", "start", null), 1_250, ["cmd-1"]),
            new DialogWatchersHandedOver("call-1", new Dictionary<string, DialogOperation> { ["cmd-1"] = DialogOperation.Transfer, ["cmd-2"] = DialogOperation.Observe }),
            new CommandStarted("cmd-1", CommandMethods.CallEnd, parameters, DateTimeOffset.UnixEpoch.AddSeconds(1_795_387_434)),
            new CommandStepRecorded("end-requested", "1.2"),
            new CallStartPrepared("cc-0123456789abcdef"),
            new TransferRequested("call-1"),
            new HoldRequested(),
            new NotificationRecorded(notification),
            new DialogStateRecorded("1.2", "99", "a", null, 1, 2),
            new DialogCommandAttached("cmd-1"),
            new DialogCommandDetached("cmd-1"),
        };
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Round_trips_through_the_MessagePack_serializer(ICallClusterMessage message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<MessagePackAkkaSerializer>(serializer);

        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var bytes = serializer.ToBinary(message);
        var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);

        Assert.Equal(message.GetType(), back.GetType());
        // Records compare collections by reference, so compare their full JSON renderings instead.
        Assert.Equal(JsonSerializer.Serialize(message, message.GetType()), JsonSerializer.Serialize(back, back.GetType()));
    }

    [Fact]
    public void Actor_references_survive_the_round_trip()
    {
        var probe = CreateTestProbe();
        var message = new StartCommand("cmd-9", CommandMethods.CallEnd, new Dictionary<string, string> { ["callid"] = "c" }, probe.Ref);
        var serializer = Sys.Serialization.FindSerializerFor(message);

        var back = (StartCommand)Sys.Serialization.Deserialize(
            serializer.ToBinary(message), serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));

        Assert.Equal(probe.Ref.Path, back.Subscriber.Path);
        back.Subscriber.Tell("ping");
        probe.ExpectMsg("ping");
    }
}
