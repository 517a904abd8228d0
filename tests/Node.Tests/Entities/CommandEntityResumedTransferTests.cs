using System.Text.Json;
using Akka.Actor;
using Akka.TestKit;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Node.Commands;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Tests.Entities;

/// <summary>A transfer resumed by a new incarnation after its call_transfer was decided (TransferRequested stored) but
/// before anything about it came back: the REFER may never have left. call_transfer is not sent again (a second REFER
/// could transfer twice); if no transfer starts, the command ends -32003 (the proxy side's outcome is unknown), not
/// -32000 "the phone ignored the REFER", which only a REFER known to be accepted can prove.</summary>
public sealed class CommandEntityResumedTransferTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly CommandSettings Settings = new(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(30))
    {
        TransferStartTimeout = TimeSpan.FromMilliseconds(500),
    };

    private static readonly Dictionary<string, string> TransferParams = new()
    {
        ["callid"] = "c-rt", ["leg"] = "callee", ["destination"] = "sip:c@x",
    };

    private readonly TestProbe _mi;
    private readonly TestProbe _dialogs;

    public CommandEntityResumedTransferTests() : base(EntityTestConfig.Config)
    {
        _mi = CreateTestProbe();
        _dialogs = CreateTestProbe();
    }

    [Fact]
    public void A_resumed_transfer_that_never_starts_ends_minus_32003_without_a_second_REFER()
    {
        var client = CreateTestProbe();
        var first = Sys.ActorOf(CommandEntity.Props("rt-1", _mi.Ref, _dialogs.Ref, Settings));
        first.Tell(new StartCommand("rt-1", CommandMethods.CallBlindTransfer, TransferParams, client.Ref));
        client.ExpectMsg<CommandAccepted>();
        _dialogs.ExpectMsg<AttachCommand>();
        first.Tell(new DialogAttached("rt-1", Confirmed()), _dialogs);
        Assert.Equal("call_transfer", _mi.ExpectMsg<MiCall>().Method);

        // The node stops before call_transfer's reply or any transfer event.
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        var watcher = CreateTestProbe();
        var resumed = Sys.ActorOf(CommandEntity.Props("rt-1", _mi.Ref, _dialogs.Ref, Settings));
        resumed.Tell(new SubscribeCommand("rt-1", 0, watcher.Ref));
        _dialogs.ExpectMsg<AttachCommand>();
        resumed.Tell(new DialogAttached("rt-1", Confirmed()), _dialogs);

        // Only lookups from now on; the start watchdog's lookup finds the call still there.
        var lookup = _mi.FishForMessage<MiCall>(m =>
        {
            Assert.NotEqual("call_transfer", m.Method);
            return Equals(m.Tag, "transfer-start-check");
        }, TimeSpan.FromSeconds(5), hint: "the start watchdog's dlg_list");
        Assert.Equal("dlg_list", lookup.Method);
        resumed.Tell(new MiSuccess(lookup.Tag, "dlg_list", JsonDocument.Parse("""{"Dialog":{"state":4}}""").RootElement.Clone()), _mi);

        var ended = watcher.FishForMessage<CommandNotification>(n => n.Kind == NotificationKind.Ended, TimeSpan.FromSeconds(5));
        Assert.Equal(CommandNotification.StatusFailed, ended.Status);
        Assert.Equal(ErrorCodes.ProxyUnavailable, ended.Error!.Code);
        Assert.Contains("whether its REFER reached the SIP proxy is unknown", ended.Error!.Message);
        var later = _mi.ReceiveWhile(TimeSpan.FromMilliseconds(300), o => o as MiCall ?? throw new InvalidOperationException($"unexpected {o}"));
        Assert.DoesNotContain(later, m => m.Method == "call_transfer");
    }

    /// <summary>The dialog's node died after the REFER: the dialog's new incarnation has forgotten this command and keeps
    /// the transfer's start unclaimed. Half-way to the start watchdog the command attaches again, gets the start
    /// replayed, and the transfer goes on instead of failing "the phone ignored the REFER".</summary>
    [Fact]
    public void Half_way_to_the_start_watchdog_the_command_attaches_again_and_takes_a_replayed_start()
    {
        var client = CreateTestProbe();
        // A watchdog long enough that a loaded machine delivers the replay well before it (half-way: 2 s, watchdog: 4 s).
        var settings = Settings with { TransferStartTimeout = TimeSpan.FromSeconds(4) };
        var command = Sys.ActorOf(CommandEntity.Props("rt-2", _mi.Ref, _dialogs.Ref, settings));
        command.Tell(new StartCommand("rt-2", CommandMethods.CallBlindTransfer, TransferParams, client.Ref));
        client.ExpectMsg<CommandAccepted>();
        var attach = _dialogs.ExpectMsg<AttachCommand>();
        command.Tell(new DialogAttached("rt-2", Confirmed()), _dialogs);
        var transfer = _mi.ExpectMsg<MiCall>();
        Assert.Equal("call_transfer", transfer.Method);
        command.Tell(new MiSuccess(transfer.Tag, "call_transfer", JsonDocument.Parse("\"Accepted\"").RootElement.Clone()), _mi);

        // No start: after half the watchdog, the same attach again.
        var again = _dialogs.ExpectMsg<AttachCommand>(TimeSpan.FromSeconds(10));
        Assert.Equal(attach, again);
        command.Tell(new DialogAttached("rt-2", Confirmed()), _dialogs);
        command.Tell(new DialogEventNotice("rt-2", new CallTransferEvent("c-rt", "new-call", "new-call", "sip:c@x", "start", null)));

        var started = client.FishForMessage<CommandNotification>(n => n.Data == EventCodes.CallStart, TimeSpan.FromSeconds(2));
        Assert.Equal("new-call", started.CallId);
        // Past the watchdog: no start check, no failure; the command now waits for the target's answer.
        var later = _mi.ReceiveWhile(TimeSpan.FromSeconds(3), o => o as MiCall ?? throw new InvalidOperationException($"unexpected {o}"));
        Assert.DoesNotContain(later, m => Equals(m.Tag, "transfer-start-check"));
        Assert.DoesNotContain(client.ReceiveWhile(TimeSpan.FromMilliseconds(100), o => o), o => o is CommandNotification { Kind: NotificationKind.Ended });
    }

    private static DialogView Confirmed() => new("c-rt", "1.2", null, null, 4, []);
}
