using System.Text.Json.Serialization;

namespace CallCluster.Hosting.Admin;

// The wire contract between the admin endpoint (CallCluster.Hosting) and callctl (src/Admin), both of which reference
// this library, so it must not depend on Akka or ASP.NET. The namespace is the one it had inside Hosting.

/// <summary>Paths, defaults and media types of the admin endpoint every CallCluster process serves.</summary>
/// <remarks>
/// <c>GET /admin/v1</c> lists the palettes and their verbs; <c>POST /admin/v1/{palette}/{verb}</c> with body
/// <see cref="AdminRequest"/> runs a verb and answers one <see cref="AdminResult"/> (<c>application/json</c>), or,
/// for a streaming verb such as <c>cluster tail</c>, one <see cref="AdminResult"/> per line
/// (<c>application/x-ndjson</c>) until the client disconnects. Every executed verb answers HTTP 200; its
/// <see cref="AdminResult.Status"/> says whether it succeeded (the CLI's exit code).
/// </remarks>
public static class AdminProtocol
{
    public const string ApiPath = "/admin/v1";
    public const string LivePath = "/healthz/live";
    public const string ReadyPath = "/healthz/ready";
    public const string MetricsPath = "/metrics";
    public const string DefaultHost = "127.0.0.1";
    public const int DefaultPort = 9110;
    public const string PortVariable = "CALLCLUSTER_ADMIN_PORT";
    public const string HostVariable = "CALLCLUSTER_ADMIN_HOST";
    public const string JsonContentType = "application/json";
    public const string NdjsonContentType = "application/x-ndjson";

    public static string CommandPath(string palette, string verb) =>
        $"{ApiPath}/{Uri.EscapeDataString(palette)}/{Uri.EscapeDataString(verb)}";
}

[JsonConverter(typeof(JsonStringEnumConverter<AdminStatus>))]
public enum AdminStatus
{
    /// <summary>The verb ran (exit code 0).</summary>
    Ok,

    /// <summary>The verb ran and failed, e.g. an unknown address (exit code 1).</summary>
    Failed,

    /// <summary>Unknown palette or verb, or wrong arguments (exit code 2).</summary>
    Usage,
}

/// <summary>The body of <c>POST /admin/v1/{palette}/{verb}</c>.</summary>
public sealed record AdminRequest(IReadOnlyList<string> Args);

/// <summary>A verb's structured answer: rows of columns (printed pbm-style: the column names, one pipe-delimited line per row, then
/// <c>Count: N</c>) and an optional message. A failed or usage result carries its reason in <see cref="Message"/>.</summary>
public sealed record AdminResult(
    AdminStatus Status,
    IReadOnlyList<string> Columns,
    IReadOnlyList<IReadOnlyList<string>> Rows,
    string? Message)
{
    public static AdminResult Ok(IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<string>> rows, string? message = null) =>
        new(AdminStatus.Ok, columns, rows, message);

    public static AdminResult Row(IReadOnlyList<string> columns, params string[] row) =>
        new(AdminStatus.Ok, columns, [row], null);

    public static AdminResult Done(string message) => new(AdminStatus.Ok, [], [], message);

    public static AdminResult Failed(string message) => new(AdminStatus.Failed, [], [], message);

    public static AdminResult Usage(string message) => new(AdminStatus.Usage, [], [], message);
}

/// <summary>What <c>GET /admin/v1</c> returns for each palette.</summary>
public sealed record AdminPaletteInfo(string Name, string Description, IReadOnlyList<AdminVerbInfo> Verbs);

public sealed record AdminVerbInfo(string Name, string Usage, string Description, bool Streaming);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AdminRequest))]
[JsonSerializable(typeof(AdminResult))]
[JsonSerializable(typeof(IReadOnlyList<AdminPaletteInfo>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class AdminJsonContext : JsonSerializerContext;
