using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Journal;
using CallCluster.Node.Commands;

namespace CallCluster.Node.Tests.Entities;

/// <summary>The command's pure state: what each journal event (typed or legacy) means, and the difference between
/// notifications decided by the flow and notifications stored (the only ones clients see). No actors.</summary>
public sealed class CommandStateTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    private static CommandStarted Start(string method, params (string Key, string Value)[] parameters) =>
        new("cmd-1", method, parameters.ToDictionary(p => p.Key, p => p.Value), At);

    private static CommandState Replay(params ICommandJournalEvent[] events) =>
        events.Aggregate(CommandState.Empty, (state, e) => state.Apply(e));

    [Fact]
    public void An_empty_state_is_not_started_and_running()
    {
        var state = CommandState.Empty;

        Assert.False(state.IsStarted);
        Assert.False(state.IsEnded);
        Assert.Equal(CommandState.StatusRunning, state.Status);
        Assert.Equal(1, state.NextSeq);
        Assert.Empty(state.Notifications);
        Assert.Equal("", state.Param("callid"));
    }

    [Fact]
    public void A_replayed_CallEnd_is_ended_ok_with_its_notifications_durable()
    {
        var state = Replay(
            Start(CommandMethods.CallEnd, ("callid", "c-1")),
            new NotificationRecorded(CommandNotification.Event("cmd-1", 1, EventCodes.CallEnd, "c-1")),
            new NotificationRecorded(CommandNotification.EndedOk("cmd-1", 2)));

        Assert.Equal(CommandMethods.CallEnd, state.Method);
        Assert.Equal("c-1", state.Param("callid"));
        Assert.True(state.IsEnded);
        Assert.Equal(CommandNotification.StatusOk, state.Status);
        Assert.Equal(2, state.DurableCount);
        Assert.Equal([1, 2], state.Durable.Select(n => n.Seq));
        Assert.Equal(3, state.NextSeq);
        Assert.Equal(1, state.EmittedCount(EventCodes.CallEnd));
    }

    [Fact]
    public void CallStartPrepared_holds_the_placeholder_and_that_the_INVITE_goes_out()
    {
        var state = Replay(Start(CommandMethods.CallStart, ("caller", "a"), ("callee", "b")), new CallStartPrepared("cc-1"));

        Assert.Equal("cc-1", state.PlaceholderCallId);
        Assert.True(state.HasRequestedInvite);
        Assert.False(state.HasRequestedTransfer);
        Assert.False(state.IsEnded);
    }

    [Fact]
    public void TransferRequested_and_HoldRequested_are_remembered()
    {
        var transfer = Replay(Start(CommandMethods.CallBlindTransfer), new TransferRequested("call-a"));
        var hold = Replay(Start(CommandMethods.CallHold), new HoldRequested());

        Assert.True(transfer.HasRequestedTransfer);
        Assert.Equal("call-a", transfer.TransferredCallId);
        Assert.False(transfer.HasRequestedHold);
        Assert.True(hold.HasRequestedHold);
        Assert.False(hold.HasRequestedTransfer);
    }

    [Fact]
    public void Legacy_steps_mean_the_same_as_the_typed_facts()
    {
        var start = Replay(Start(CommandMethods.CallStart),
            new CommandStepRecorded("placeholder-callid", "cc-old"), new CommandStepRecorded("invite-sent", null));
        var transfer = Replay(Start(CommandMethods.CallAttendedTransfer), new CommandStepRecorded("transfer-sent", "call-a"));
        var hold = Replay(Start(CommandMethods.CallHold), new CommandStepRecorded("hold-sent", null));

        Assert.Equal(("cc-old", true), (start.PlaceholderCallId, start.HasRequestedInvite));
        Assert.Equal((true, "call-a"), (transfer.HasRequestedTransfer, transfer.TransferredCallId));
        Assert.True(hold.HasRequestedHold);
    }

    [Fact]
    public void A_legacy_placeholder_without_invite_sent_has_not_requested_the_INVITE()
    {
        var state = Replay(Start(CommandMethods.CallStart), new CommandStepRecorded("placeholder-callid", "cc-old"));

        Assert.Equal("cc-old", state.PlaceholderCallId);
        Assert.False(state.HasRequestedInvite);
    }

    [Fact]
    public void An_unknown_legacy_step_changes_nothing()
    {
        var before = Replay(Start(CommandMethods.CallEnd));
        var after = before.Apply(new CommandStepRecorded("end-requested", "1.2"));

        Assert.Equal((before.HasRequestedInvite, before.HasRequestedTransfer, before.HasRequestedHold, before.PlaceholderCallId),
            (after.HasRequestedInvite, after.HasRequestedTransfer, after.HasRequestedHold, after.PlaceholderCallId));
    }

    [Fact]
    public void A_decided_notification_counts_for_the_flow_but_clients_see_only_stored_ones()
    {
        var state = Replay(Start(CommandMethods.CallStart))
            .Decide(CommandNotification.Event("cmd-1", 1, EventCodes.CallAnswer, "cc-1", "caller"));

        Assert.Equal(1, state.EmittedCount(EventCodes.CallAnswer));
        Assert.Equal(2, state.NextSeq);
        Assert.Equal(0, state.DurableCount);
        Assert.Empty(state.Durable);

        state = state.NotificationStored();

        Assert.Equal(1, state.DurableCount);
        Assert.Equal([1], state.Durable.Select(n => n.Seq));
    }

    [Fact]
    public void A_decided_Ended_is_not_ended_for_clients_until_stored()
    {
        var state = Replay(Start(CommandMethods.CallEnd))
            .Decide(CommandNotification.Event("cmd-1", 1, EventCodes.CallEnd, "c-1"))
            .Decide(CommandNotification.EndedFailed("cmd-1", 2, ErrorCodes.CallUnknown, "gone"));

        Assert.True(state.IsEndDecided);
        Assert.False(state.IsEnded);
        Assert.Equal(CommandState.StatusRunning, state.Status);

        state = state.NotificationStored();
        Assert.False(state.IsEnded);

        state = state.NotificationStored();
        Assert.True(state.IsEnded);
        Assert.Equal(CommandNotification.StatusFailed, state.Status);
        Assert.Throws<InvalidOperationException>(() => state.NotificationStored());
    }

    [Fact]
    public void NewCallId_is_the_last_CALL_START_and_LegsReported_lists_the_legs_of_a_code()
    {
        var state = Replay(
            Start(CommandMethods.CallHold),
            new NotificationRecorded(CommandNotification.Event("cmd-1", 1, EventCodes.CallStart, "new-1")),
            new NotificationRecorded(CommandNotification.Event("cmd-1", 2, EventCodes.CallHold, "c-1", "caller")),
            new NotificationRecorded(CommandNotification.Event("cmd-1", 3, EventCodes.CallHold, "c-1", "callee")));

        Assert.Equal("new-1", state.NewCallId);
        Assert.Equal(["caller", "callee"], state.LegsReported(EventCodes.CallHold));
        Assert.Empty(state.LegsReported(EventCodes.CallUnhold));
    }

    [Fact]
    public void SameStart_compares_method_and_params_exactly()
    {
        var state = Replay(Start(CommandMethods.CallHold, ("callid", "c-1"), ("leg", "caller")));

        Assert.True(state.SameStart(CommandMethods.CallHold, new Dictionary<string, string> { ["leg"] = "caller", ["callid"] = "c-1" }));
        Assert.False(state.SameStart(CommandMethods.CallUnHold, new Dictionary<string, string> { ["leg"] = "caller", ["callid"] = "c-1" }));
        Assert.False(state.SameStart(CommandMethods.CallHold, new Dictionary<string, string> { ["callid"] = "c-1" }));
        Assert.False(CommandState.Empty.SameStart(CommandMethods.CallHold, new Dictionary<string, string>()));
    }

    [Fact]
    public void Apply_never_changes_the_state_it_was_called_on()
    {
        var before = Replay(Start(CommandMethods.CallEnd));
        _ = before.Apply(new NotificationRecorded(CommandNotification.EndedOk("cmd-1", 1)));

        Assert.Empty(before.Notifications);
        Assert.False(before.IsEnded);
    }
}
