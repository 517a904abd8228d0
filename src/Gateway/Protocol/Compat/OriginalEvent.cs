namespace CallCluster.Gateway.Protocol.Compat;

/// <summary>One notification of the original dialect: <c>params.event</c> and its optional <c>data</c>, which is
/// either an object of strings (<see cref="Fields"/>) or, for <c>Error</c>, a string (<see cref="Text"/>).</summary>
public sealed record OriginalEvent(string Name, IReadOnlyList<KeyValuePair<string, string>>? Fields = null, string? Text = null)
{
    public const string Ended = "Ended";
    public const string Error = "Error";

    public static OriginalEvent WithFields(string name, params (string Key, string? Value)[] fields) =>
        new(name, fields.Where(f => f.Value is not null).Select(f => KeyValuePair.Create(f.Key, f.Value!)).ToList());

    public static OriginalEvent Failed(string reason) => new(Error, Text: reason);

    public static OriginalEvent End { get; } = new(Ended);
}
