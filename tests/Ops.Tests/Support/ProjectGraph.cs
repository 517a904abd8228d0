using System.Xml.Linq;

namespace CallCluster.Ops.Tests.Support;

/// <summary>The repository's project files as MSBuild reads them for references: each project's ProjectReference items,
/// as repository-relative paths with forward slashes (e.g. <c>src/Node/Node.csproj</c>).</summary>
public static class ProjectGraph
{
    /// <summary>The projects <paramref name="project"/> references directly.</summary>
    public static IReadOnlyList<string> References(string project)
    {
        var document = XDocument.Load(Repo.Path(project));
        var directory = Path.GetDirectoryName(Repo.Path(project))!;
        return document.Descendants("ProjectReference")
            .Select(r => (string?)r.Attribute("Include") ?? throw new InvalidOperationException($"{project}: ProjectReference without Include"))
            .Select(include => Path.GetRelativePath(Repo.Root, Path.GetFullPath(Path.Combine(directory, include))).Replace('\\', '/'))
            .ToList();
    }

    /// <summary><paramref name="project"/> and every project it references, directly or not.</summary>
    public static IReadOnlySet<string> Closure(string project)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (seen.Add(next))
            {
                foreach (var reference in References(next))
                {
                    pending.Push(reference);
                }
            }
        }

        return seen;
    }

    /// <summary>A property of the project file itself (not of Directory.Build.props); null when it does not set it.</summary>
    public static string? Property(string project, string name) =>
        XDocument.Load(Repo.Path(project)).Descendants("PropertyGroup").Elements(name).Select(e => e.Value.Trim()).LastOrDefault();

    /// <summary>Every project under <paramref name="folder"/> (e.g. "src"), repository-relative.</summary>
    public static IReadOnlyList<string> Under(string folder) =>
        Directory.GetFiles(Repo.Path(folder), "*.csproj", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Repo.Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
}
