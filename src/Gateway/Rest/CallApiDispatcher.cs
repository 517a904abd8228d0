using Akka.Actor;
using CallCluster.Contracts;
using CallCluster.Contracts.Commands;
using CallCluster.Contracts.Dialogs;
using CallCluster.Gateway.Calls;
using CallCluster.Gateway.Protocol;

namespace CallCluster.Gateway.Rest;

/// <summary>A request's answer: the value, or the client-protocol error the WebSocket path would have answered.</summary>
public sealed record Outcome<T>(T? Value, RpcError? Error) where T : class
{
    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(RpcError error) => new(null, error);
}

/// <summary>Sends validated REST requests to the same shard regions the WebSocket connections use, by Ask with the
/// gateway's ask timeout: a handler awaits, no actor thread waits.</summary>
public sealed class CallApiDispatcher(ActorSystem system, IActorRef starter, IActorRef commandRegion, IActorRef? dialogRegion,
    TimeSpan askTimeout)
{
    private static readonly RpcError CommandTimedOut = RpcError.Server("command service did not answer in time");

    private readonly CallLister? _lister = dialogRegion is null ? null : new CallLister(system, dialogRegion, askTimeout);

    /// <param name="traceParent">The request's W3C <c>traceparent</c> header, if any (docs/tracing.md).</param>
    public async Task<Outcome<CommandAccepted>> StartAsync(RpcCommand command, CancellationToken ct, string? traceParent = null)
    {
        try
        {
            var answer = await starter.Ask<ICommandMessage>(new CommandStarter.Start(command.CmdId, command.Method, command.Params, traceParent)
                { CmdIdGenerated = command.CmdIdGenerated },
                askTimeout, ct).ConfigureAwait(false);
            return answer switch
            {
                CommandAccepted a => a,
                CommandRejected r => new RpcError(r.Code, r.Message, r.Data),
                _ => RpcError.Server("unexpected answer " + answer.GetType().Name),
            };
        }
        catch (AskTimeoutException)
        {
            return CommandTimedOut;
        }
    }

    public async Task<Outcome<CommandSnapshot>> GetCommandAsync(string cmdId, CancellationToken ct)
    {
        try
        {
            var answer = await commandRegion.Ask<ICommandMessage>(new GetCommand(cmdId), askTimeout, ct).ConfigureAwait(false);
            return answer switch
            {
                CommandSnapshot s => s,
                CommandRejected r => new RpcError(r.Code, r.Message, r.Data),
                _ => RpcError.Server("unexpected answer " + answer.GetType().Name),
            };
        }
        catch (AskTimeoutException)
        {
            return CommandTimedOut;
        }
    }

    public async Task<Outcome<DialogView>> GetCallAsync(string callId, CancellationToken ct)
    {
        if (dialogRegion is null)
        {
            return NotServed(CommandMethods.CallGet);
        }

        try
        {
            var view = await dialogRegion.Ask<DialogView>(new GetDialog(callId), askTimeout, ct).ConfigureAwait(false);
            return CallQueries.Unknown(view) is { } unknown ? unknown : view;
        }
        catch (AskTimeoutException)
        {
            return CallQueries.GetTimedOut;
        }
    }

    /// <param name="parameters">CallList's validated parameters (limit, cursor).</param>
    public async Task<Outcome<CallPage>> ListCallsAsync(IReadOnlyDictionary<string, string> parameters)
    {
        if (_lister is null)
        {
            return NotServed(CommandMethods.CallList);
        }

        var (limit, after, invalid) = CallQueries.ListArguments(parameters);
        if (invalid is not null)
        {
            return invalid;
        }

        // Any failure is a -32000 with its reason, as on the WebSocket path.
        try
        {
            return await _lister.ListAsync(limit, after).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return RpcError.Server(CallQueries.ListFailure(e));
        }
    }

    private static RpcError NotServed(string method) => RpcError.Server($"{method} is not implemented by this gateway yet");
}
