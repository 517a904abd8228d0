namespace CallCluster.Gateway.Tests.Compat;

/// <summary>One step of a transcript file: a frame the client sends (<c>&gt;</c>), a frame it must receive next
/// (<c>&lt;</c>), or what the command service does meanwhile (<c>native</c>, a JSON directive).</summary>
public sealed record TranscriptStep(int Line, char Kind, string Text);

/// <summary>A transcript of the original dialect (tests/Gateway.Tests/Compat/Transcripts/*.transcript). Lines:
/// <c># comment</c>, <c>&gt; frame</c>, <c>&lt; frame</c>, <c>native {json}</c>; blank lines are ignored. In expected
/// frames a string "$name" binds to the received value the first time and must repeat it afterwards; "$*" matches any
/// string.</summary>
public sealed record Transcript(string Name, IReadOnlyList<TranscriptStep> Steps)
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Compat", "Transcripts");

    public static IEnumerable<string> Names() =>
        Directory.EnumerateFiles(Folder, "*.transcript").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    public static Transcript Load(string name)
    {
        var steps = new List<TranscriptStep>();
        var lines = File.ReadAllLines(Path.Combine(Folder, name + ".transcript"));
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.StartsWith("native ", StringComparison.Ordinal))
            {
                steps.Add(new TranscriptStep(i + 1, 'n', line["native ".Length..]));
            }
            else if (line[0] is '>' or '<' && line.Length > 2 && line[1] == ' ')
            {
                steps.Add(new TranscriptStep(i + 1, line[0], line[2..]));
            }
            else
            {
                throw new FormatException($"{name}.transcript:{i + 1}: expected '#', '> ', '< ' or 'native '");
            }
        }

        return new Transcript(name, steps);
    }
}
