namespace CallCluster.Hosting.Admin;

/// <summary>One verb of a palette, e.g. <c>cluster down &lt;address&gt;</c>. The endpoint checks the argument count
/// before calling the palette, and answers a usage error (exit code 2) with <see cref="Usage"/> otherwise.</summary>
/// <param name="Name">The verb as typed: <c>show</c>, <c>region-stats</c>.</param>
/// <param name="Usage">Its arguments for help texts, e.g. <c>&lt;type&gt; &lt;id&gt;</c> (empty when none).</param>
/// <param name="Streaming">Served through <see cref="IAdminPalette.StreamAsync"/> until the client disconnects.</param>
public sealed record AdminVerb(string Name, string Usage, string Description, int MinArgs = 0, int MaxArgs = 0, bool Streaming = false)
{
    public AdminVerbInfo ToInfo() => new(Name, Usage, Description, Streaming);
}

/// <summary>A verb invocation as the palette receives it: <c>callctl calls show abc</c> →
/// ("calls", "show", ["abc"]).</summary>
public sealed record AdminCommand(string Palette, string Verb, IReadOnlyList<string> Args);

/// <summary>A group of admin verbs in the style of a Petabridge.Cmd palette (<c>cluster</c>, <c>sharding</c>, and
/// the node's <c>calls</c>, <c>commands</c>, <c>proxy</c>). Implementations are called concurrently from HTTP
/// requests: talk to actors with Ask, never touch actor state directly.</summary>
public interface IAdminPalette
{
    /// <summary>The first CLI word; unique in a process.</summary>
    string Name { get; }

    string Description { get; }

    IReadOnlyList<AdminVerb> Verbs { get; }

    /// <summary>Runs a non-streaming verb. Return <see cref="AdminResult.Failed"/> for an expected failure (unknown
    /// id, timeout); an exception is reported as a failure too, with its message.</summary>
    Task<AdminResult> ExecuteAsync(AdminCommand command, CancellationToken ct);

    /// <summary>Runs a streaming verb: each item is written as one line as soon as it is produced; the token is
    /// cancelled when the client disconnects or the server stops.</summary>
    IAsyncEnumerable<AdminResult> StreamAsync(AdminCommand command, CancellationToken ct) =>
        throw new NotSupportedException($"{Name} {command.Verb} does not stream");
}
