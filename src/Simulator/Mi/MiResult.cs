using System.Text.Json;

namespace CallCluster.Simulator.Mi;

/// <summary>Outcome of an MI command: a JSON result, a JSON-RPC error, or one of OpenSIPS's plain-text replies.</summary>
public abstract record MiResult
{
    public static readonly MiResult OkString = new MiOk(w => w.WriteStringValue("OK"));
    public static readonly MiResult Accepted = new MiOk(w => w.WriteStringValue("Accepted"));
    public static MiResult Ok(Action<Utf8JsonWriter> write) => new MiOk(write);
    public static MiResult Ok(string s) => new MiOk(w => w.WriteStringValue(s));
    public static MiResult Error(int code, string message, string? data = null) => new MiError(code, message, data);
    public static MiResult InvalidParams(string data) => new MiError(-32602, "Invalid params", data);
    public static MiResult ServerError(string data) => new MiError(-32000, "Server error", data);
    public static readonly MiResult InvalidRequest = new MiError(-32600, "Invalid Request", null);
    public static readonly MiResult MethodNotFound = new MiError(-32601, "Method not found", null);
    public static readonly MiResult ParseError = new MiPlain("400 Parse_error");
}

public sealed record MiOk(Action<Utf8JsonWriter> Write) : MiResult;
public sealed record MiError(int Code, string Message, string? Data) : MiResult;
/// <summary>Plain text, not JSON, as OpenSIPS answers a datagram it cannot parse: "400 Parse_error".</summary>
public sealed record MiPlain(string Text) : MiResult;
