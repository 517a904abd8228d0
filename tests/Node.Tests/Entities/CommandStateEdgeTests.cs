using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Journal;
using CallCluster.Node.Commands;

namespace CallCluster.Node.Tests.Entities;

/// <summary>The edges of the command's pure state that the flows rely on: which notifications count as what (an
/// Ended is never an event, a leg-less event reports no leg), the sequence numbers after out-of-order or repeated
/// seqs, the status of an Ended stored without one, and journal events this build does not know.</summary>
public sealed class CommandStateEdgeTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    /// <summary>A journal event of a later build: replay must step over it.</summary>
    private sealed record FutureFact(string Value) : ICommandJournalEvent;

    private static CommandStarted Start(string method, params (string Key, string Value)[] parameters) =>
        new("cmd-1", method, parameters.ToDictionary(p => p.Key, p => p.Value), At);

    private static CommandState Replay(params ICommandJournalEvent[] events) =>
        events.Aggregate(CommandState.Empty, (state, e) => state.Apply(e));

    private static NotificationRecorded Stored(CommandNotification n) => new(n);

    [Fact]
    public void An_empty_state_has_no_method_and_no_end_decided()
    {
        Assert.Equal("", CommandState.Empty.Method);
        Assert.False(CommandState.Empty.IsEndDecided);
        Assert.Null(CommandState.Empty.Start);
        Assert.Null(CommandState.Empty.NewCallId);
        Assert.Equal(0, CommandState.Empty.EmittedCount(EventCodes.CallEnd));
        Assert.Empty(CommandState.Empty.LegsReported(EventCodes.CallHold));
    }

    [Fact]
    public void A_started_state_knows_its_params_and_gives_empty_for_others()
    {
        var state = Replay(Start(CommandMethods.CallHold, ("callid", "c-1")));

        Assert.True(state.IsStarted);
        Assert.Equal(CommandMethods.CallHold, state.Method);
        Assert.Equal("c-1", state.Param("callid"));
        Assert.Equal("", state.Param("leg"));
        Assert.Equal(At, state.Start!.StartedAt);
    }

    [Fact]
    public void Only_an_Ended_last_decided_is_an_end_decided()
    {
        var state = Replay(Start(CommandMethods.CallEnd)).Decide(CommandNotification.Event("cmd-1", 1, EventCodes.CallEnd, "c-1"));

        Assert.False(state.IsEndDecided);
        Assert.True(state.Decide(CommandNotification.EndedOk("cmd-1", 2)).IsEndDecided);
    }

    [Fact]
    public void An_event_stored_last_is_not_an_end()
    {
        var state = Replay(Start(CommandMethods.CallEnd), Stored(CommandNotification.Event("cmd-1", 1, EventCodes.CallEnd, "c-1")));

        Assert.Equal(1, state.DurableCount);
        Assert.False(state.IsEnded);
        Assert.False(state.IsEndDecided);
        Assert.Equal(CommandState.StatusRunning, state.Status);
    }

    [Fact]
    public void An_Ended_stored_without_a_status_reads_failed()
    {
        var state = Replay(Start(CommandMethods.CallEnd), Stored(new CommandNotification("cmd-1", 1, NotificationKind.Ended)));

        Assert.True(state.IsEnded);
        Assert.Equal(CommandNotification.StatusFailed, state.Status);
    }

    [Fact]
    public void A_decided_but_unstored_Ended_after_a_stored_event_keeps_the_command_running()
    {
        var state = Replay(Start(CommandMethods.CallEnd), Stored(CommandNotification.Event("cmd-1", 1, EventCodes.CallEnd, "c-1")))
            .Decide(CommandNotification.EndedOk("cmd-1", 2));

        Assert.True(state.IsEndDecided);
        Assert.False(state.IsEnded);
        Assert.Equal(CommandState.StatusRunning, state.Status);
        Assert.Equal([1], state.Durable.Select(n => n.Seq));
        Assert.Equal(CommandNotification.StatusOk, state.NotificationStored().Status);
    }

    [Fact]
    public void EmittedCount_counts_events_of_that_code_only()
    {
        var state = Replay(Start(CommandMethods.CallHold))
            .Decide(CommandNotification.Event("cmd-1", 1, EventCodes.CallHold, "c-1", "caller"))
            .Decide(CommandNotification.Event("cmd-1", 2, EventCodes.CallUnhold, "c-1", "callee"))
            .Decide(CommandNotification.Event("cmd-1", 3, EventCodes.CallHold, "c-1", "callee"))
            // An Ended carrying the same code in Data (never written so, but possible in a journal) is not an event.
            .Decide(CommandNotification.EndedOk("cmd-1", 4) with { Data = EventCodes.CallHold });

        Assert.Equal(2, state.EmittedCount(EventCodes.CallHold));
        Assert.Equal(1, state.EmittedCount(EventCodes.CallUnhold));
        Assert.Equal(0, state.EmittedCount(EventCodes.CallEnd));
    }

    [Fact]
    public void NewCallId_is_the_last_CALL_START_event_and_ignores_other_codes_and_Ended()
    {
        var state = Replay(Start(CommandMethods.CallBlindTransfer),
            Stored(CommandNotification.Event("cmd-1", 1, EventCodes.TransferAccept, "accept-call")),
            Stored(CommandNotification.Event("cmd-1", 2, EventCodes.CallStart, "first")),
            Stored(CommandNotification.Event("cmd-1", 3, EventCodes.CallStart, "second")),
            Stored(CommandNotification.Event("cmd-1", 4, EventCodes.TransferProgress, "progress-call")),
            Stored(CommandNotification.EndedOk("cmd-1", 5) with { Data = EventCodes.CallStart, CallId = "ended-call" }));

        Assert.Equal("second", state.NewCallId);
        Assert.Null(Replay(Start(CommandMethods.CallBlindTransfer),
            Stored(CommandNotification.Event("cmd-1", 1, EventCodes.TransferAccept, "accept-call"))).NewCallId);
    }

    [Fact]
    public void LegsReported_skips_events_without_a_leg_and_keeps_the_order()
    {
        var state = Replay(Start(CommandMethods.CallHold),
            Stored(CommandNotification.Event("cmd-1", 1, EventCodes.CallHold, "c-1", "callee")),
            Stored(CommandNotification.Event("cmd-1", 2, EventCodes.CallHold, "c-1")),
            Stored(CommandNotification.Event("cmd-1", 3, EventCodes.CallUnhold, "c-1", "caller")),
            Stored(CommandNotification.Event("cmd-1", 4, EventCodes.CallHold, "c-1", "caller")));

        Assert.Equal(["callee", "caller"], state.LegsReported(EventCodes.CallHold));
        Assert.Equal(["caller"], state.LegsReported(EventCodes.CallUnhold));
    }

    [Fact]
    public void NextSeq_follows_the_highest_seq_decided_or_replayed()
    {
        var decided = Replay(Start(CommandMethods.CallEnd))
            .Decide(CommandNotification.Event("cmd-1", 5, EventCodes.CallEnd, "c-1"))
            .Decide(CommandNotification.Event("cmd-1", 2, EventCodes.CallEnd, "c-1"));
        Assert.Equal(6, decided.NextSeq);

        var replayed = Replay(Start(CommandMethods.CallEnd),
            Stored(CommandNotification.Event("cmd-1", 7, EventCodes.CallEnd, "c-1")),
            Stored(CommandNotification.Event("cmd-1", 3, EventCodes.CallEnd, "c-1")));
        Assert.Equal(8, replayed.NextSeq);
        Assert.Equal(2, replayed.DurableCount);
        Assert.Equal([7, 3], replayed.Durable.Select(n => n.Seq));
    }

    [Fact]
    public void Replay_after_decided_notifications_stores_them_all()
    {
        // Replay marks everything in the list durable, the decided-but-unstored ones before it included.
        var state = Replay(Start(CommandMethods.CallEnd))
            .Decide(CommandNotification.Event("cmd-1", 1, EventCodes.CallEnd, "c-1"))
            .Apply(Stored(CommandNotification.EndedOk("cmd-1", 2)));

        Assert.Equal(2, state.DurableCount);
        Assert.True(state.IsEnded);
        Assert.Equal(3, state.NextSeq);
    }

    [Fact]
    public void Storing_with_nothing_waiting_names_the_problem()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Replay(Start(CommandMethods.CallEnd)).NotificationStored());

        Assert.Equal("no notification is waiting to be stored", e.Message);
    }

    [Fact]
    public void SameStart_needs_the_same_keys_and_the_same_values()
    {
        var state = Replay(Start(CommandMethods.CallHold, ("callid", "c-1"), ("leg", "caller")));

        Assert.False(state.SameStart(CommandMethods.CallHold, new Dictionary<string, string> { ["callid"] = "c-1", ["leg"] = "callee" }));
        Assert.False(state.SameStart(CommandMethods.CallHold, new Dictionary<string, string> { ["callid"] = "c-1", ["side"] = "caller" }));
        Assert.False(state.SameStart(CommandMethods.CallHold,
            new Dictionary<string, string> { ["callid"] = "c-1", ["leg"] = "caller", ["x"] = "y" }));
        Assert.True(Replay(Start(CommandMethods.CallEnd)).SameStart(CommandMethods.CallEnd, new Dictionary<string, string>()));
        Assert.False(Replay(Start(CommandMethods.CallEnd)).SameStart(CommandMethods.CallHold, new Dictionary<string, string>()));
    }

    [Fact]
    public void Each_fact_sets_only_its_own_flags()
    {
        var prepared = Replay(Start(CommandMethods.CallStart), new CallStartPrepared("cc-1"));
        var transfer = Replay(Start(CommandMethods.CallBlindTransfer), new TransferRequested("call-a"));
        var hold = Replay(Start(CommandMethods.CallHold), new HoldRequested());

        Assert.Equal((true, false, false, (string?)null), (prepared.HasRequestedInvite, prepared.HasRequestedTransfer, prepared.HasRequestedHold,
            prepared.TransferredCallId));
        Assert.Equal((false, true, false, (string?)null), (transfer.HasRequestedInvite, transfer.HasRequestedTransfer, transfer.HasRequestedHold,
            transfer.PlaceholderCallId));
        Assert.Equal((false, false, true, (string?)null, (string?)null), (hold.HasRequestedInvite, hold.HasRequestedTransfer, hold.HasRequestedHold,
            hold.PlaceholderCallId, hold.TransferredCallId));
        Assert.Equal(CommandMethods.CallStart, prepared.Method);
        Assert.Empty(prepared.Notifications);
    }

    [Fact]
    public void Each_legacy_step_sets_only_its_own_flags()
    {
        var placeholder = Replay(Start(CommandMethods.CallStart), new CommandStepRecorded("placeholder-callid", "cc-old"));
        var invite = Replay(Start(CommandMethods.CallStart), new CommandStepRecorded("invite-sent", null));
        var transfer = Replay(Start(CommandMethods.CallBlindTransfer), new CommandStepRecorded("transfer-sent", "call-a"));
        var hold = Replay(Start(CommandMethods.CallHold), new CommandStepRecorded("hold-sent", "ignored"));

        Assert.Equal(("cc-old", false, false, false), (placeholder.PlaceholderCallId, placeholder.HasRequestedInvite,
            placeholder.HasRequestedTransfer, placeholder.HasRequestedHold));
        Assert.Equal(((string?)null, true, false, false), (invite.PlaceholderCallId, invite.HasRequestedInvite, invite.HasRequestedTransfer,
            invite.HasRequestedHold));
        Assert.Equal(("call-a", (string?)null, false, true, false), (transfer.TransferredCallId, transfer.PlaceholderCallId,
            transfer.HasRequestedInvite, transfer.HasRequestedTransfer, transfer.HasRequestedHold));
        Assert.Equal(((string?)null, (string?)null, false, false, true), (hold.TransferredCallId, hold.PlaceholderCallId, hold.HasRequestedInvite,
            hold.HasRequestedTransfer, hold.HasRequestedHold));
    }

    [Fact]
    public void A_journal_event_this_build_does_not_know_changes_nothing()
    {
        var before = Replay(Start(CommandMethods.CallEnd), Stored(CommandNotification.Event("cmd-1", 1, EventCodes.CallEnd, "c-1")));
        var after = before.Apply(new FutureFact("x"));

        Assert.Same(before, after);
        Assert.Same(before, before.Apply(new CommandStepRecorded("end-requested", "1.2")));
    }
}
