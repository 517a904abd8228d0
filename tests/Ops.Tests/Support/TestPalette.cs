using System.Runtime.CompilerServices;
using CallCluster.Hosting.Admin;

namespace CallCluster.Ops.Tests.Support;

/// <summary>An extra palette as the node's calls/commands/proxy palettes plug in: an echo, an expected failure, an
/// exception, and a stream.</summary>
public sealed class TestPalette : IAdminPalette
{
    public static readonly IReadOnlyList<string> Columns = ["index", "arg"];

    public string Name => "test";

    public string Description => "test palette";

    public IReadOnlyList<AdminVerb> Verbs { get; } =
    [
        new("echo", "<arg>...", "one row per argument", 1, 5),
        new("fail", "", "an expected failure"),
        new("throw", "", "a palette bug"),
        new("count", "<n>", "streams n rows", 1, 1, Streaming: true),
    ];

    public Task<AdminResult> ExecuteAsync(AdminCommand command, CancellationToken ct) => command.Verb switch
    {
        "echo" => Task.FromResult(AdminResult.Ok(Columns,
            command.Args.Select((a, i) => (IReadOnlyList<string>)[i.ToString(System.Globalization.CultureInfo.InvariantCulture), a]).ToList(),
            "echoed")),
        "fail" => Task.FromResult(AdminResult.Failed("call not found")),
        _ => throw new InvalidOperationException("palette bug"),
    };

    public async IAsyncEnumerable<AdminResult> StreamAsync(AdminCommand command, [EnumeratorCancellation] CancellationToken ct)
    {
        var n = int.Parse(command.Args[0], System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < n; i++)
        {
            await Task.Yield();
            yield return AdminResult.Row(Columns, i.ToString(System.Globalization.CultureInfo.InvariantCulture), "row");
        }
    }
}
