using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Journal;

namespace CallCluster.Node.Commands;

/// <summary>Which methods this node runs, and where each flow starts.</summary>
public sealed partial class CommandEntity
{
    private static bool IsImplemented(string method) => method is CommandMethods.CallStart or CommandMethods.CallBlindTransfer
        or CommandMethods.CallAttendedTransfer or CommandMethods.CallHold or CommandMethods.CallUnHold or CommandMethods.CallEnd;

    /// <summary>Facts a flow records before its first request, stored in the same write as the start.</summary>
    private static IEnumerable<ICommandJournalEvent> InitialFacts(string method) => method switch
    {
        CommandMethods.CallStart => [CallStartInitialFact()],
        _ => [],
    };

    private void RunFlow(bool resumed)
    {
        switch (_state.Method)
        {
            case CommandMethods.CallStart:
                StartCallStart(resumed);
                break;
            case CommandMethods.CallBlindTransfer:
                StartBlindTransfer();
                break;
            case CommandMethods.CallAttendedTransfer:
                StartAttendedTransfer();
                break;
            case CommandMethods.CallHold:
                StartHold("hold");
                break;
            case CommandMethods.CallUnHold:
                StartUnhold();
                break;
            case CommandMethods.CallEnd:
                StartCallEnd(resumed);
                break;
            default:
                // Only reachable for a journal written by a build that knew more methods.
                Become(CommonHandlers);
                EndFailed(ErrorCodes.ServerError, _state.Method + " is not available on this server");
                break;
        }
    }
}
