using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace CallCluster.Ops.Tests.Support;

/// <summary>A scripted Call API gateway on a free loopback port, speaking the client protocol: the reply first, then
/// notifications (with one of another command's in between, which callctl must ignore).</summary>
public sealed class FakeGateway : IAsyncDisposable
{
    private LoopbackWebApp _app = null!;

    private FakeGateway()
    {
    }

    public ConcurrentQueue<JsonObject> Requests { get; } = new();

    public Uri Url { get; private set; } = null!;

    public static async Task<FakeGateway> StartAsync()
    {
        var gateway = new FakeGateway();
        gateway._app = await ScriptedWebSocketEndpoint.StartAsync("/call-api", gateway.Requests, Script);
        gateway.Url = gateway._app.Url("ws", "/call-api");
        return gateway;
    }

    private static IEnumerable<string> Script(JsonObject request)
    {
        var id = request["id"]!.ToJsonString();
        var method = request["method"]!.GetValue<string>();
        var callid = request["params"]?["callid"]?.GetValue<string>();
        if (method == "CallStart")
        {
            yield return $$$"""{"jsonrpc":"2.0","id":{{{id}}},"error":{"code":-32601,"message":"Method not found","data":"not available on this server"}}""";
            yield break;
        }

        yield return $$$"""{"jsonrpc":"2.0","id":{{{id}}},"result":{"cmd_id":"cmd-1","status":"Started"}}""";
        yield return """{"jsonrpc":"2.0","method":"Event","params":{"cmd_id":"other","seq":1,"data":"CALL_HOLD"}}""";
        if (callid == "unknown")
        {
            yield return """{"jsonrpc":"2.0","method":"Ended","params":{"cmd_id":"cmd-1","seq":1,"status":"failed","error":{"code":-32001,"message":"unknown call"}}}""";
            yield break;
        }

        yield return $$$"""{"jsonrpc":"2.0","method":"Event","params":{"cmd_id":"cmd-1","seq":1,"data":"CALL_END","callid":"{{{callid}}}"}}""";
        yield return """{"jsonrpc":"2.0","method":"Ended","params":{"cmd_id":"cmd-1","seq":2,"status":"ok"}}""";
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
