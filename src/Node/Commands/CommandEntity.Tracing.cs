using System.Diagnostics;
using Akka.Actor;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Hosting.Tracing;
using CallCluster.Node.OpenSips;

namespace CallCluster.Node.Commands;

/// <summary>The command's span (docs/tracing.md): "command", from StartCommand (a child of the gateway's span, whose
/// traceparent the message carries across nodes) or a resume (a new trace, tagged resumed) to the Ended it stores;
/// its MI requests are its children (<see cref="SendMi"/>) and the EVI events that reach it are its events. The span
/// is in memory; only its traceparent is stored, in CommandStarted, so a command that moves or recovers starts another
/// span linked to its first. With tracing off
/// <see cref="_span"/> stays null and each hook below is one null check.</summary>
public sealed partial class CommandEntity
{
    private Activity? _span;

    /// <summary>Notices already recorded on the span: a stashing state (attaching, checking the dialog) sees a notice
    /// once when it stashes it and again when it unstashes it. By reference: two equal notices are two arrivals.</summary>
    private HashSet<DialogEventNotice>? _tracedNotices;

    /// <param name="firstSpan">A resumed command's first span (CommandStarted.TraceParent): the new span links to it.</param>
    private void StartCommandSpan(string method, string? traceParent, bool resumed, string? firstSpan = null)
    {
        if (!CallClusterTracing.Enabled)
        {
            return;
        }

        var first = CallClusterTracing.ParseTraceParent(firstSpan);
        _span = CallClusterTracing.Start(TraceNames.Command, ActivityKind.Consumer, CallClusterTracing.ParseTraceParent(traceParent),
            first == default ? null : [new ActivityLink(first)]);
        if (_span is { IsAllDataRequested: true })
        {
            _span.SetTag(TraceNames.CmdId, CmdId);
            _span.SetTag(TraceNames.Method, method);
            _span.SetTag(TraceNames.Resumed, resumed);
        }
    }

    /// <summary>Every MI request of the flows goes through here, so its span is a child of the command's: the pool is
    /// another actor, and only the message can carry the parent there.</summary>
    private void SendMi(MiCall call) => _miPool.Tell(_span is null ? call : call with { TraceParent = _span.Context });

    /// <summary>Called first by every state (CommonHandlers). Only while there is a span: untraced, a state registers
    /// nothing more than before.</summary>
    private void TraceEviEvents()
    {
        if (_span is not null)
        {
            Command<DialogEventNotice>(TraceEviEvent);
        }
    }

    /// <summary>Records the EVI event on the span and returns false, so the state's own handler still decides what the
    /// event means.</summary>
    private bool TraceEviEvent(DialogEventNotice notice)
    {
        if (_span is null)
        {
            return false;
        }

        _tracedNotices ??= new HashSet<DialogEventNotice>(ReferenceEqualityComparer.Instance);
        if (_tracedNotices.Add(notice))
        {
            var (name, state, callId) = notice.Event switch
            {
                DialogStateChanged d => ("E_DLG_STATE_CHANGED", d.NewState.ToString(System.Globalization.CultureInfo.InvariantCulture), d.CallId),
                CallTransferEvent t => ("E_CALL_TRANSFER", t.State, t.CallId),
                CallHoldEvent h => ("E_CALL_HOLD", h.State, h.CallId),
                var other => (other.GetType().Name, "", ""),
            };
            _span.AddEvent(new ActivityEvent(TraceNames.EviEvent, tags: new ActivityTagsCollection
            {
                [TraceNames.EviName] = name,
                [TraceNames.EviState] = state,
                [TraceNames.EviCallId] = callId,
            }));
        }

        return false;
    }

    /// <summary>Ended is stored: the span ends with the command's outcome.</summary>
    private void EndCommandSpan()
    {
        if (_span is null)
        {
            return;
        }

        var ended = _state.Notifications[_state.DurableCount - 1];
        _span.SetTag(TraceNames.Outcome, ended.Status);
        if (ended.Error is { } error)
        {
            _span.SetTag(TraceNames.ErrorCode, error.Code);
            _span.SetStatus(ActivityStatusCode.Error, error.Message);
        }

        StopCommandSpan();
    }

    private void StopCommandSpan()
    {
        CallClusterTracing.Stop(_span);
        _span = null;
        _tracedNotices = null;
    }

    /// <summary>Stopped before Ended (its shard moved, a journal failure, a crash): the span ends as "stopped"; the
    /// incarnation that resumes the command starts its own.</summary>
    protected override void PostStop()
    {
        if (_span is not null)
        {
            _span.SetTag(TraceNames.Outcome, "stopped");
            StopCommandSpan();
        }

        base.PostStop();
    }
}
