using System.Text.Json.Nodes;

namespace CallCluster.Simulator.Tests.Support;

/// <summary>One captured datagram line from shared/opensips/captures/*.jsonl.</summary>
public sealed record CaptureLine(string Flow, string Step, string Dir, string? Peer, string Raw);

/// <summary>Reads the real OpenSIPS 4.0.1 captures at run time: ../shared/opensips/captures beside the repository root.</summary>
public static class Captures
{
    public static string Directory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            for (var i = 0; i < 20 && dir is not null; i++, dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CallCluster.sln")))
                    return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "opensips", "captures"));
            }
            throw new DirectoryNotFoundException("CallCluster.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static List<CaptureLine> Load(string name) =>
        File.ReadAllLines(Path.Combine(Directory, name + ".jsonl"))
            .Where(l => l.Trim().Length > 0)
            .Select(l => (JsonObject)JsonNode.Parse(l)!)
            .Select(o => new CaptureLine((string)o["flow"]!, (string)o["step"]!, (string)o["dir"]!, o["peer"]?.ToString(), (string)o["raw"]!))
            .ToList();
}
