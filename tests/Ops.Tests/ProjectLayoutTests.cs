using CallCluster.Ops.Tests.Support;

namespace CallCluster.Ops.Tests;

/// <summary>Issue 18: the parts are libraries and the processes are thin executables in src/Apps, so that each image
/// carries only what its process runs (the production node has no simulator) and a newcomer finds each part by its
/// folder name. Read from the project files themselves.</summary>
public sealed class ProjectLayoutTests
{
    private const string NodeLibrary = "src/Node/Node.csproj";
    private const string GatewayLibrary = "src/Gateway/Gateway.csproj";
    private const string SimulatorLibrary = "src/Simulator/Simulator.csproj";

    /// <summary>Each app, its project and the executable it builds (AssemblyName).</summary>
    public static TheoryData<string, string> Apps() => new()
    {
        { "src/Apps/Embedded/Apps.Embedded.csproj", "callcluster" },
        { "src/Apps/Node/Apps.Node.csproj", "callcluster-node" },
        { "src/Apps/Gateway/Apps.Gateway.csproj", "callcluster-gateway" },
        { "src/Apps/Simulator/Apps.Simulator.csproj", "callcluster-simulator" },
    };

    [Theory]
    [InlineData(NodeLibrary)]
    [InlineData(GatewayLibrary)]
    [InlineData(SimulatorLibrary)]
    public void Node_gateway_and_simulator_are_libraries_without_an_entry_point(string project)
    {
        Assert.True(ProjectGraph.Property(project, "OutputType") is null or "Library", $"{project} is not a library");
        var folder = Path.GetDirectoryName(Repo.Path(project))!;
        Assert.Empty(Directory.GetFiles(folder, "Program.cs", SearchOption.AllDirectories));
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void Each_app_is_one_executable_in_its_own_folder_of_src_Apps_and_in_the_solution(string project, string assembly)
    {
        Assert.Equal("Exe", ProjectGraph.Property(project, "OutputType"));
        Assert.Equal(assembly, ProjectGraph.Property(project, "AssemblyName"));
        var folder = Path.GetDirectoryName(Repo.Path(project))!;
        Assert.Single(Directory.GetFiles(folder, "Program.cs", SearchOption.AllDirectories));
        Assert.Contains(project.Replace('/', '\\'), File.ReadAllText(Repo.Path("CallCluster.sln")), StringComparison.Ordinal);
    }

    [Fact]
    public void No_library_references_an_app()
    {
        var libraries = ProjectGraph.Under("src").Where(p => !p.StartsWith("src/Apps/", StringComparison.Ordinal)).ToList();
        Assert.Contains(NodeLibrary, libraries);
        foreach (var library in libraries)
        {
            Assert.DoesNotContain(ProjectGraph.References(library), r => r.StartsWith("src/Apps/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_production_node_does_not_reference_the_simulator_directly_or_not()
    {
        Assert.DoesNotContain(SimulatorLibrary, ProjectGraph.Closure(NodeLibrary));
        var node = ProjectGraph.Closure("src/Apps/Node/Apps.Node.csproj");
        Assert.Contains(NodeLibrary, node);
        Assert.DoesNotContain(SimulatorLibrary, node);
        Assert.DoesNotContain(node, p => p.StartsWith("src/Apps/", StringComparison.Ordinal) && p != "src/Apps/Node/Apps.Node.csproj");
    }

    [Fact]
    public void The_gateway_is_built_from_neither_the_node_nor_the_simulator_and_the_simulator_not_from_the_node()
    {
        var gateway = ProjectGraph.Closure("src/Apps/Gateway/Apps.Gateway.csproj");
        Assert.Contains(GatewayLibrary, gateway);
        Assert.DoesNotContain(NodeLibrary, gateway);
        Assert.DoesNotContain(SimulatorLibrary, gateway);
        var simulator = ProjectGraph.Closure("src/Apps/Simulator/Apps.Simulator.csproj");
        Assert.Contains(SimulatorLibrary, simulator);
        Assert.DoesNotContain(NodeLibrary, simulator);
    }

    [Fact]
    public void The_embedded_default_composes_the_node_and_the_simulator()
    {
        var embedded = ProjectGraph.Closure("src/Apps/Embedded/Apps.Embedded.csproj");
        Assert.Contains(NodeLibrary, embedded);
        Assert.Contains(GatewayLibrary, embedded);
        Assert.Contains(SimulatorLibrary, embedded);
    }

    /// <summary>callctl and the admin endpoint share the wire contract as a library: callctl gets neither Hosting (Akka,
    /// ASP.NET) nor a source file compiled in from another project.</summary>
    [Fact]
    public void Callctl_and_Hosting_reference_the_admin_protocol_library_and_callctl_nothing_else()
    {
        const string protocol = "src/AdminProtocol/AdminProtocol.csproj";
        Assert.Equal([protocol], ProjectGraph.Closure("src/Admin/Admin.csproj").Where(p => p != "src/Admin/Admin.csproj"));
        Assert.Contains(protocol, ProjectGraph.References("src/Hosting/Hosting.csproj"));
        Assert.Empty(ProjectGraph.References(protocol));
        Assert.DoesNotContain("<Compile Include=", File.ReadAllText(Repo.Path("src/Admin/Admin.csproj")), StringComparison.Ordinal);
        Assert.DoesNotContain("PackageReference", File.ReadAllText(Repo.Path(protocol)), StringComparison.Ordinal);
        Assert.Contains(protocol.Replace('/', '\\'), File.ReadAllText(Repo.Path("CallCluster.sln")), StringComparison.Ordinal);
    }
}
