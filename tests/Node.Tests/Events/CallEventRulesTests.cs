using CallCluster.Contracts.Dialogs;
using CallCluster.Contracts.Events;
using CallCluster.Node.Dialogs;
using CallCluster.Node.Events;

namespace CallCluster.Node.Tests.Events;

/// <summary>Which call events each EVI event emits, in every arrival order OpenSIPS produces.</summary>
public sealed class CallEventRulesTests
{
    private static readonly DialogState Call = DialogState.Empty("c1");

    private static DialogStateChanged State(int from, int to) => new("c1", "d.1", null, "ft", "tt", from, to);

    private static List<string> Run(params IEviEvent[] events)
    {
        var emitted = DialogPhase.Unknown;
        var names = new List<string>();
        foreach (var e in events)
        {
            var (emissions, next) = CallEventRules.For(e, Call, emitted);
            emitted = next;
            names.AddRange(emissions.Select(x => x.Name + (x.Reason is null ? "" : ":" + x.Reason)));
        }

        return names;
    }

    [Fact]
    public void In_order_a_call_rings_is_answered_and_ends_with_bye() =>
        Assert.Equal(["call.ringing", "call.answered", "call.ended:bye"], Run(State(0, 1), State(1, 2), State(2, 3), State(3, 4), State(4, 5)));

    [Fact]
    public void The_end_arriving_first_still_reports_an_answered_call_and_drops_what_comes_late() =>
        Assert.Equal(["call.answered", "call.ended:bye"], Run(State(4, 5), State(1, 2), State(2, 4)));

    [Fact]
    public void A_transition_out_of_ringing_proves_the_ringing() =>
        Assert.Equal(["call.ringing", "call.answered"], Run(State(2, 3), State(1, 2)));

    [Fact]
    public void Duplicates_emit_once_and_a_call_never_answered_ends_not_answered()
    {
        Assert.Equal(["call.ringing", "call.ended:not-answered"], Run(State(1, 2), State(1, 2), State(2, 5), State(2, 5)));
        Assert.Equal(["call.ended:not-answered"], Run(State(1, 5)));
    }

    [Fact]
    public void Hold_and_transfer_emit_only_on_their_final_ok_with_the_command_that_asked()
    {
        var held = Call.Apply(new Contracts.Journal.DialogCommandAttached("hold-1", DialogOperation.Hold));
        var (start, _) = CallEventRules.For(new CallHoldEvent("c1", "callee", "hold", "start"), held, DialogPhase.Confirmed);
        Assert.Empty(start);
        var (ok, _) = CallEventRules.For(new CallHoldEvent("c1", "callee", "hold", "ok"), held, DialogPhase.Confirmed);
        Assert.Equal((CallEventNames.Held, "hold-1", "callee"), (ok[0].Name, ok[0].CmdId, ok[0].Leg));
        var (resumed, _) = CallEventRules.For(new CallHoldEvent("c1", "callee", "unhold", "ok"), Call, DialogPhase.Confirmed);
        Assert.Equal((CallEventNames.Resumed, (string?)null), (resumed[0].Name, resumed[0].CmdId));
        var (transferred, _) = CallEventRules.For(new CallTransferEvent("c1", null, "c2", "sip:x@h", "ok", "200"), Call, DialogPhase.Confirmed);
        Assert.Equal((CallEventNames.Transferred, "sip:x@h", "c2"), (transferred[0].Name, transferred[0].Destination, transferred[0].TransferCallId));
        Assert.Empty(CallEventRules.For(new CallTransferEvent("c1", null, "c2", "sip:x@h", "notify", "180"), Call, DialogPhase.Confirmed).Emissions);
    }

    [Fact]
    public void The_command_that_created_a_call_is_the_cause_of_its_ringing()
    {
        var started = Call.Apply(new RecordCallOrigin("c1", "start-1", "sip:a@h", "sip:b@h"));
        var (emissions, _) = CallEventRules.For(State(1, 2), started, DialogPhase.Unknown);
        Assert.Equal("start-1", emissions.Single().CmdId);
    }
}
