using CallCluster.Contracts.Commands;
using CallCluster.Gateway.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CallCluster.Gateway.Rest;

/// <summary>The REST routes of the Call API, all under one <c>/v1</c> group (policies such as authentication attach to
/// the group returned by <see cref="MapCallApiRest"/>). Each handler turns HTTP into the JSON-RPC method's params,
/// validates them with that method's rules and sends them where a WebSocket request would go.</summary>
public static class RestEndpoints
{
    public const string Prefix = "/v1";
    private const string Json = "application/json";

    public static RouteGroupBuilder MapCallApiRest(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup(Prefix).WithTags("Calls");

        Command(v1.MapPost("/calls", (HttpRequest request, RestParams rest, CallApiDispatcher dispatcher) =>
                StartAsync(CommandMethods.CallStart, request, [], rest, dispatcher)), CommandMethods.CallStart)
            .Accepts<CallStartBody>(Json)
            .WithSummary("Place a call between caller and callee (click-to-dial)");
        CallCommand(v1, "hold", CommandMethods.CallHold, "callid").Accepts<HoldBody>(true, Json)
            .WithSummary("Put a call, or one leg of it, on hold");
        CallCommand(v1, "unhold", CommandMethods.CallUnHold, "callid").Accepts<HoldBody>(true, Json)
            .WithSummary("Take a call, or one leg of it, off hold");
        CallCommand(v1, "transfer", CommandMethods.CallBlindTransfer, "callid").Accepts<TransferBody>(Json)
            .WithSummary("Blind-transfer one leg of a call to a destination");
        CallCommand(v1, "attended-transfer", CommandMethods.CallAttendedTransfer, "callid_a").Accepts<AttendedTransferBody>(Json)
            .WithSummary("Attended transfer: join a leg of this call (A) with a leg of call B");
        CallCommand(v1, "end", CommandMethods.CallEnd, "callid")
            .WithSummary("End a call");

        v1.MapGet("/calls", ListCallsAsync)
            .WithName(CommandMethods.CallList)
            .WithSummary("List the active calls, a page at a time (limit 1-1000, cursor from the previous page)")
            .Produces<CallListResource>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        v1.MapGet("/calls/{callid}", GetCallAsync)
            .WithName(CommandMethods.CallGet)
            .WithSummary("A call's state, parties, hold state and the commands that acted on it")
            .Produces<CallResource>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        v1.MapGet("/commands/{cmd_id}", GetCommandAsync)
            .WithName(CommandMethods.CommandGet)
            .WithSummary("A command's status (running, ok, failed) and every notification it emitted")
            .Produces<CommandResource>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        // Read-only views for the web console (docs/console.md) and monitoring; GETs, so calls:read like the queries.
        v1.MapGet("/cluster", GetClusterAsync)
            .WithTags("Cluster")
            .WithName("ClusterGet")
            .WithSummary("The cluster members as the gateway sees them, and each member's command and dialog shards")
            .Produces<ClusterResource>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        v1.MapGet("/webhooks", ListWebhooksAsync)
            .WithTags("Webhooks")
            .WithName("WebhookList")
            .WithSummary("Each webhook endpoint's delivery status: position, deliveries in flight and pending, dead letters")
            .Produces<WebhookListResource>()
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return v1;
    }

    /// <summary>The URL of a command, for Location and for polling.</summary>
    public static string CommandHref(string cmdId) => $"{Prefix}/commands/{Uri.EscapeDataString(cmdId)}";

    private static RouteHandlerBuilder CallCommand(RouteGroupBuilder v1, string action, string method, string pathParam) =>
        Command(v1.MapPost($"/calls/{{callid}}/{action}", (string callid, HttpRequest request, RestParams rest, CallApiDispatcher dispatcher) =>
            StartAsync(method, request, [(pathParam, RestParams.PathValue(callid))], rest, dispatcher)), method);

    private static RouteHandlerBuilder Command(RouteHandlerBuilder route, string method) => route
        .WithName(method)
        .WithDescription($"Starts {method}. Answers 202 with the cmd_id and its URL (also in Location); poll that URL until " +
            "status is ok or failed. An Idempotency-Key header becomes the cmd_id: a repeat with the same key and body " +
            "returns the same command.")
        .Produces<CommandStartedResource>(StatusCodes.Status202Accepted)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async Task<IResult> StartAsync(string method, HttpRequest request, IReadOnlyList<(string, string)> fromPath,
        RestParams rest, CallApiDispatcher dispatcher)
    {
        switch (await rest.CommandAsync(method, request, fromPath))
        {
            case RpcInvalid invalid:
                return RestProblems.Problem(invalid.Error);
            case RpcCommand command:
                var outcome = await dispatcher.StartAsync(command, request.HttpContext.RequestAborted, request.Headers.TraceParent);
                if (outcome.Error is { } error)
                {
                    // A generated cmd_id is named: after a timeout the command may still have started.
                    return RestProblems.Problem(error, cmdId: command.CmdId);
                }

                var href = CommandHref(command.CmdId);
                if (outcome.Value!.Existing)
                {
                    request.HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
                }

                return TypedResults.Accepted(href, new CommandStartedResource(command.CmdId, "Started", outcome.Value.Existing, href));
            default:
                return RestProblems.Problem(RpcError.Server("unexpected request kind"));
        }
    }

    private static async Task<IResult> GetCommandAsync(string cmd_id, HttpContext context, RestParams rest, CallApiDispatcher dispatcher)
    {
        var request = rest.Query(CommandMethods.CommandGet, [(MethodSpec.CmdIdParam, RestParams.PathValue(cmd_id))]);
        if (request is not RpcGet get)
        {
            return RestProblems.Problem(request is RpcInvalid invalid ? invalid.Error : RpcError.Server("unexpected request kind"));
        }

        var outcome = await dispatcher.GetCommandAsync(get.CmdId, context.RequestAborted);
        return outcome.Error switch
        {
            null => TypedResults.Ok(CommandResource.From(outcome.Value!)),
            // CommandGet answers an unknown cmd_id -32602 ("no such command"): over HTTP that is a resource not found.
            { Code: ErrorCodes.InvalidParams } e => RestProblems.Problem(e, StatusCodes.Status404NotFound),
            var e => RestProblems.Problem(e),
        };
    }

    private static async Task<IResult> GetCallAsync(string callid, HttpContext context, RestParams rest, CallApiDispatcher dispatcher)
    {
        switch (rest.Query(CommandMethods.CallGet, [("callid", RestParams.PathValue(callid))]))
        {
            case RpcInvalid invalid:
                return RestProblems.Problem(invalid.Error);
            case RpcQuery query:
                var outcome = await dispatcher.GetCallAsync(query.Params["callid"], context.RequestAborted);
                return outcome.Error is { } e ? RestProblems.Problem(e) : TypedResults.Ok(CallResource.From(outcome.Value!, withCommands: true));
            default:
                return RestProblems.Problem(RpcError.Server("unexpected request kind"));
        }
    }

    private static async Task<IResult> GetClusterAsync(HttpContext context, ClusterStatusQuery cluster)
    {
        var outcome = await cluster.GetAsync(context.RequestAborted);
        return outcome.Error is { } e ? RestProblems.Problem(e) : TypedResults.Ok(outcome.Value);
    }

    private static async Task<IResult> ListWebhooksAsync(HttpContext context, WebhookStatusQuery webhooks)
    {
        var outcome = await webhooks.ListAsync(context.RequestAborted);
        return outcome.Error is { } e ? RestProblems.Problem(e) : TypedResults.Ok(outcome.Value);
    }

    private static async Task<IResult> ListCallsAsync(HttpContext context, RestParams rest, CallApiDispatcher dispatcher)
    {
        switch (rest.Query(CommandMethods.CallList, [], context.Request.Query))
        {
            case RpcInvalid invalid:
                return RestProblems.Problem(invalid.Error);
            case RpcQuery query:
                var outcome = await dispatcher.ListCallsAsync(query.Params);
                if (outcome.Error is { } e)
                {
                    return RestProblems.Problem(e);
                }

                var page = outcome.Value!;
                string? next = null;
                if (page.NextCursor is { } cursor)
                {
                    next = $"{Prefix}/calls?cursor={Uri.EscapeDataString(cursor)}"
                        + (query.Params.TryGetValue("limit", out var limit) ? $"&limit={limit}" : "");
                }

                return TypedResults.Ok(new CallListResource([.. page.Calls.Select(c => CallResource.From(c, withCommands: false))],
                    page.NextCursor, next));
            default:
                return RestProblems.Problem(RpcError.Server("unexpected request kind"));
        }
    }
}
