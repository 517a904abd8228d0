using System.Text.Json;

namespace CallCluster.TestSupport;

/// <summary>Readings of JSON-RPC messages that the tests repeat.</summary>
public static class Json
{
    public static bool IsReply(JsonElement m) => m.TryGetProperty("id", out _) && !m.TryGetProperty("method", out _);

    public static bool IsNotification(JsonElement m, string method) =>
        m.TryGetProperty("method", out var name) && name.GetString() == method;

    public static string? Str(JsonElement m, params string[] path)
    {
        var current = m;
        foreach (var step in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(step, out current))
            {
                return null;
            }
        }

        return current.ValueKind == JsonValueKind.String ? current.GetString() : current.GetRawText();
    }

    public static int Int(JsonElement m, params string[] path) => int.Parse(Str(m, path)!);
}
