using System.CommandLine;
using System.Text.RegularExpressions;
using CallCluster.Hosting;
using CallCluster.Hosting.Cli;

namespace CallCluster.Node.Tests.Hosting;

/// <summary>The option table behind every executable's --help and flags is the shipped HOCON's, both ways: each
/// <c>${?VAR}</c> in hocon/ is listed (so help cannot miss a variable again), under the key the variable really sets.</summary>
public sealed partial class SettingOptionsTests
{
    public static TheoryData<string> Layers() => new(Directory.GetFiles(ConfigLoader.HoconDirectory, "*.conf").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(Layers))]
    public void Every_environment_variable_in_the_shipped_hocon_is_in_the_table(string layer)
    {
        // Settings only: comment lines may mention ${?VAR} to explain the convention.
        var settings = File.ReadAllLines(Path.Combine(ConfigLoader.HoconDirectory, layer)).Where(l => !l.TrimStart().StartsWith('#'));

        var missing = settings.SelectMany(l => OptionalSubstitution().Matches(l)).Select(m => m.Groups[1].Value)
            .Where(variable => SettingOptions.All.All(s => s.EnvironmentVariable != variable));

        Assert.Empty(missing);
    }

    [Fact]
    public void Each_variable_in_the_table_sets_its_key_in_its_layer()
    {
        foreach (var setting in SettingOptions.All)
        {
            var text = File.ReadAllText(Path.Combine(ConfigLoader.HoconDirectory, setting.Layer));
            var hocon = HoconEnvironment.Apply(text, name => name == setting.EnvironmentVariable ? "12345" : null);

            var config = Akka.Configuration.ConfigurationFactory.ParseString(hocon);

            Assert.True(config.GetString(setting.HoconPath) == "12345", $"{setting.EnvironmentVariable} does not set {setting.HoconPath} in {setting.Layer}");
        }
    }

    [Fact]
    public async Task Help_names_every_environment_variable_of_the_process_and_exits_0()
    {
        string[] layers = ["base.conf", "node.conf", "gateway.conf", "persistence-sqlite.conf", "persistence-postgres.conf", "sandbox.conf"];
        var commandLine = new ProcessCommandLine("CallCluster.Node", "a node", layers);
        using var output = new StringWriter();

        var code = await commandLine.Root.Parse(["--help"]).InvokeAsync(new InvocationConfiguration { Output = output });

        Assert.Equal(0, code);
        foreach (var setting in SettingOptions.For(layers))
        {
            Assert.Contains(setting.EnvironmentVariable, output.ToString(), StringComparison.Ordinal);
        }

        Assert.Contains("CALLCLUSTER_SIM_MI_PORT", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("CALLCLUSTER_ADMIN_PORT", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("--sim-mi-port", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Completions_come_from_the_same_table()
    {
        var commandLine = new ProcessCommandLine("CallCluster.Gateway", "a gateway", ["base.conf", "gateway.conf"]);

        var completions = commandLine.Root.Parse("--ws").GetCompletions().Select(c => c.Label).ToList();

        Assert.Contains("--ws-port", completions);
        Assert.Contains("--ws-host", completions);
        Assert.DoesNotContain("--sim-mi-port", completions);
    }

    [GeneratedRegex(@"\$\{\?([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex OptionalSubstitution();
}
