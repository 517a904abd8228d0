using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace CallCluster.Ops.Tests.Support;

/// <summary>A scripted gateway at <c>/call-api/compat</c> speaking the original Call API's dialect (docs/compat-dialect.md):
/// the reply, an event of another command (to be ignored), then CallerAnswered and Ended, or Error and Ended when the
/// request's callid is "unknown".</summary>
public sealed class FakeOriginalGateway : IAsyncDisposable
{
    private LoopbackWebApp _app = null!;

    private FakeOriginalGateway()
    {
    }

    public ConcurrentQueue<JsonObject> Requests { get; } = new();

    public Uri Url { get; private set; } = null!;

    public int Port => Url.Port;

    public static async Task<FakeOriginalGateway> StartAsync()
    {
        var gateway = new FakeOriginalGateway();
        gateway._app = await ScriptedWebSocketEndpoint.StartAsync("/call-api/compat", gateway.Requests, Script);
        gateway.Url = gateway._app.Url("ws", "/call-api/compat");
        return gateway;
    }

    private static IEnumerable<string> Script(JsonObject request)
    {
        var id = request["id"]!.ToJsonString();
        var method = request["method"]!.GetValue<string>();
        if (method == "NotifyEnd")
        {
            yield return $$$"""{"jsonrpc":"2.0","id":{{{id}}},"error":{"code":-32601,"message":"unknown JSON-RPC method","data":"unknown method NotifyEnd"}}""";
            yield break;
        }

        yield return $$$"""{"jsonrpc":"2.0","id":{{{id}}},"result":{"cmd_id":"cmd-1","event":"Started"}}""";
        yield return """{"jsonrpc":"2.0","method":"CallHold","params":{"cmd_id":"other","event":"CallHolding"}}""";
        if (request["params"]?["callid"]?.GetValue<string>() == "unknown")
        {
            yield return $$$"""{"jsonrpc":"2.0","method":"{{{method}}}","params":{"cmd_id":"cmd-1","data":"call unknown is unknown to the SIP proxy or already ended","event":"Error"}}""";
        }
        else
        {
            yield return $$$"""{"jsonrpc":"2.0","method":"{{{method}}}","params":{"cmd_id":"cmd-1","data":{"callee":"sip:bob@example.com","caller":"sip:alice@example.com"},"event":"CallerAnswered"}}""";
            yield return $$$"""{"jsonrpc":"2.0","method":"{{{method}}}","params":{"cmd_id":"cmd-1","event":"Transferring"}}""";
        }

        yield return $$$"""{"jsonrpc":"2.0","method":"{{{method}}}","params":{"cmd_id":"cmd-1","event":"Ended"}}""";
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
