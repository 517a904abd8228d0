extern alias callctl;
using CallCluster.Ops.Tests.Support;
using CallCtlSettings = callctl::CallCluster.Admin.CallCtlSettings;

namespace CallCluster.Ops.Tests;

/// <summary>callctl's command line (System.CommandLine): the generated help names every environment variable of its
/// table, and mistakes are one line on stderr and exit code 2 before anything is contacted (no endpoint or gateway
/// runs here: a command that got past parsing would fail with 1, not 2).</summary>
public sealed class CallCtlCommandLineTests
{
    [Fact]
    public async Task Help_lists_every_environment_variable_of_the_table_with_its_option_and_default()
    {
        var result = await TestCluster.CtlAsync(null, "--help");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        Assert.NotEmpty(CallCtlSettings.All);
        foreach (var setting in CallCtlSettings.All)
        {
            Assert.Contains(result.Lines, l => l.StartsWith(setting.EnvironmentVariable + " ", StringComparison.Ordinal)
                                               && l.Contains(setting.Option, StringComparison.Ordinal)
                                               && l.EndsWith($"[default {setting.Default}]", StringComparison.Ordinal));
            // The option's own line names the variable too.
            Assert.Contains(result.Lines, l => l.StartsWith(setting.Option + " <", StringComparison.Ordinal)
                                               && l.Contains(setting.EnvironmentVariable, StringComparison.Ordinal));
        }

        Assert.Contains(result.Lines, l => l.StartsWith("-config <FILE>", StringComparison.Ordinal));
        Assert.Contains(result.Lines, l => l.StartsWith("CallAttendedTransfer <key=value>", StringComparison.Ordinal));
        Assert.Contains(result.Lines, l => l.StartsWith("cluster <verb> <args>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Call_subcommands_have_help_with_their_typed_options()
    {
        var result = await TestCluster.CtlAsync(null, "call", "transfer", "--help");

        Assert.True(result.Exit == 0, result.ToString());
        foreach (var option in new[] { "--callid <ID>", "--leg <LEG>", "--destination <URI>", "--callid-a <ID>", "--leg-a <LEG>",
                     "--callid-b <ID>", "--leg-b <LEG>", "--cmd-id <ID>" })
        {
            Assert.Contains(result.Lines, l => l.StartsWith(option, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("unknown option '--bogus'", "--bogus", "cluster", "show")]
    [InlineData("'--bogus'", "call", "hold", "--callid", "c1", "--bogus", "x")]
    [InlineData("--callee", "call", "start", "--caller", "sip:a@example.com")]
    [InlineData("--callid", "call", "end")]
    [InlineData("--callid", "call", "end", "--callid", "")]
    [InlineData("--destination", "call", "transfer", "--callid", "c1", "--leg", "caller")]
    [InlineData("--callid", "call", "transfer", "--callid", "c1", "--callid-a", "a", "--leg-a", "caller", "--callid-b", "b", "--leg-b", "callee")]
    [InlineData("'cluster'", "--endpoint", "127.0.0.1:1", "cluster")]
    [InlineData("'--json'", "call", "--json", "end", "--callid", "c1")]
    public async Task A_mistake_is_one_line_naming_it_and_exit_2(string named, params string[] args)
    {
        // An endpoint and a gateway on port 1 (nothing listens): had the command been run, it would exit 1.
        var result = await TestCluster.CtlWithEnvAsync(null,
            name => name is "CALLCLUSTER_ADMIN_PORT" or "CALLCLUSTER_WS_PORT" ? "1" : null, CancellationToken.None, args);

        Assert.True(result.Exit == 2, result.ToString());
        Assert.Equal("", result.Stdout);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("callctl: ", lines[0]);
        Assert.Contains(named, lines[0], StringComparison.Ordinal);
        Assert.Equal("Try 'callctl --help'.", lines[1]);
    }

    [Fact]
    public async Task Tokens_new_runs_offline()
    {
        var result = await TestCluster.CtlWithEnvAsync(null, name => name == "CALLCLUSTER_ADMIN_PORT" ? "1" : null,
            CancellationToken.None, "tokens", "new");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal("token | sha256", result.Lines[0]);
        var row = result.Lines[1].Split(" | ");
        Assert.StartsWith("cct_", row[0]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(row[0]))), row[1]);
    }

    [Fact]
    public async Task The_suggest_directive_completes_commands_from_the_same_tree()
    {
        var result = await TestCluster.CtlAsync(null, "[suggest]", "clu");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal(["cluster"], result.Lines);
    }
}
