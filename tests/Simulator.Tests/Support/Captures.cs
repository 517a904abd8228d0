using System.Text.Json.Nodes;

namespace CallCluster.Simulator.Tests.Support;

/// <summary>One captured datagram line of Captures/*.jsonl.</summary>
public sealed record CaptureLine(string Flow, string Step, string Dir, string? Peer, string Raw);

/// <summary>Reads the real OpenSIPS 4.0.1 captures kept in this project (Captures/README.md).</summary>
public static class Captures
{
    /// <summary>The captures copied into this project (Captures/*.jsonl, copied to the output folder).</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Captures");

    public static List<CaptureLine> Load(string name) =>
        File.ReadAllLines(Path.Combine(Directory, name + ".jsonl"))
            .Where(l => l.Trim().Length > 0)
            .Select(l => (JsonObject)JsonNode.Parse(l)!)
            .Select(o => new CaptureLine((string)o["flow"]!, (string)o["step"]!, (string)o["dir"]!, o["peer"]?.ToString(), (string)o["raw"]!))
            .ToList();
}
