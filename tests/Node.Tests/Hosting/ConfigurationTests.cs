using CallCluster.Hosting;

namespace CallCluster.Node.Tests.Hosting;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "process environment";
}

/// <summary>HOCON layering: shipped defaults, --config files on top, ${?VAR} environment overrides.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("callcluster-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Embedded_defaults_serve_the_call_api_on_5059_with_the_simulator_and_sqlite()
    {
        var config = ConfigLoader.Load(NodeHost.DefaultLayers(), []);

        Assert.Equal(5059, config.GetInt("callcluster.gateway.port"));
        Assert.Equal("/call-api", config.GetString("callcluster.gateway.path"));
        Assert.Equal("", config.GetString("callcluster.mi.address"));
        Assert.Equal("sqlite", config.GetString("callcluster.persistence.provider"));
        Assert.Equal(["call-node", "gateway"], ConfigLoader.CommaList(config, "callcluster.roles"));
        Assert.Equal(65536, config.GetInt("callcluster.gateway.max-frame-bytes"));
    }

    [Fact]
    public void Later_config_files_override_earlier_layers()
    {
        var first = Write("first.conf", "callcluster.gateway.port = 6001\ncallcluster.mi.sockets = 7");
        var second = Write("second.conf", "callcluster.gateway.port = 6002");

        var config = ConfigLoader.Load(NodeHost.DefaultLayers(), [first, second]);

        Assert.Equal(6002, config.GetInt("callcluster.gateway.port"));
        Assert.Equal(7, config.GetInt("callcluster.mi.sockets"));
        Assert.Equal("/call-api", config.GetString("callcluster.gateway.path"));
    }

    [Fact]
    public void A_missing_config_file_is_reported_by_name()
    {
        var missing = Path.Combine(_dir, "nope.conf");
        var error = Assert.Throws<FileNotFoundException>(() => ConfigLoader.Load(["base.conf"], [missing]));
        Assert.Contains("nope.conf", error.Message);
    }

    [Theory]
    [InlineData("CALLCLUSTER_MI", "10.1.2.3:8080", "callcluster.mi.address", "node.conf")]
    [InlineData("CALLCLUSTER_EVI_PORT", "9999", "callcluster.evi.port", "node.conf")]
    [InlineData("CALLCLUSTER_EVI_ADVERTISE", "udp:evi.svc:9999", "callcluster.evi.advertise", "node.conf")]
    [InlineData("CALLCLUSTER_WS_PORT", "7070", "callcluster.gateway.port", "gateway.conf")]
    [InlineData("CALLCLUSTER_DB", "/tmp/x.db", "callcluster.persistence.sqlite-file", "persistence-sqlite.conf")]
    [InlineData("CALLCLUSTER_ROLES", "gateway", "callcluster.roles", "base.conf")]
    [InlineData("CALLCLUSTER_SEEDS", "akka.tcp://callcluster@a:1", "callcluster.seeds", "base.conf")]
    [InlineData("CALLCLUSTER_AKKA_PORT", "4053", "akka.remote.dot-netty.tcp.port", "base.conf")]
    [InlineData("CALLCLUSTER_AKKA_HOST", "0.0.0.0", "akka.remote.dot-netty.tcp.hostname", "base.conf")]
    [InlineData("CALLCLUSTER_PG", "Host=db;Username=u", "callcluster.persistence.postgres-connection-string", "persistence-postgres.conf")]
    public void Environment_variables_override_the_shipped_defaults(string variable, string value, string path, string file)
    {
        var shipped = Path.Combine(ConfigLoader.HoconDirectory, file);
        Environment.SetEnvironmentVariable(variable, value);
        try
        {
            Assert.Equal(value, ConfigLoader.ParseFile(shipped).GetString(path));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        Assert.NotEqual(value, ConfigLoader.ParseFile(shipped).GetString(path, ""));
    }

    [Fact]
    public void Command_line_takes_repeated_config_files_in_order()
    {
        var parsed = CommandLine.Root.Parse(["--config", "a.conf", "--config=b.conf", "--config", "c.conf"]);

        Assert.Empty(parsed.Errors);
        Assert.Equal(["a.conf", "b.conf", "c.conf"], CommandLine.Read(parsed).ConfigFiles);
        Assert.NotEmpty(CommandLine.Root.Parse(["--config"]).Errors);
        Assert.NotEmpty(CommandLine.Root.Parse(["stray"]).Errors);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--mi-port")]
    [InlineData("-x")]
    public void Unknown_flags_are_an_error_naming_the_flag(string flag)
    {
        var errors = CommandLine.Root.Parse(["--config", "a.conf", flag]).Errors;
        Assert.Contains(errors, e => e.Message.Contains(flag, StringComparison.Ordinal));
    }

    [Fact]
    public void A_setting_given_as_a_flag_wins_over_files_and_environment()
    {
        var options = CommandLine.Read(CommandLine.Root.Parse(["--ws-port", "5055", "--insecure"]));
        var config = Akka.Configuration.ConfigurationFactory.ParseString("callcluster.gateway.port = 9000");

        var applied = options.Apply(config);

        Assert.Equal(5055, applied.GetInt("callcluster.gateway.port"));
        Assert.True(applied.GetBoolean("callcluster.security.insecure"));
    }

    [Fact]
    public async Task Unknown_flags_exit_2_with_the_usage_and_never_run_the_process()
    {
        var ran = false;
        var stderr = Console.Error;
        using var captured = new StringWriter();
        Console.SetError(captured);
        int code;
        try
        {
            code = await ProcessMain.RunAsync(["--bogus"], "callcluster-test", CommandLine, _ =>
            {
                ran = true;
                return Task.FromResult(0);
            });
        }
        finally
        {
            Console.SetError(stderr);
        }

        Assert.Equal(2, code);
        Assert.False(ran);
        Assert.Contains("callcluster-test: ", captured.ToString(), StringComparison.Ordinal);
        Assert.Contains("'--bogus'", captured.ToString(), StringComparison.Ordinal);
        Assert.Contains("usage: test", captured.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_at_start_is_one_line_and_exit_2()
    {
        var stderr = Console.Error;
        using var captured = new StringWriter();
        Console.SetError(captured);
        int code;
        try
        {
            code = await ProcessMain.RunAsync([], "callcluster-test", CommandLine, _ => throw new InvalidOperationException("start failed",
                PortInUse.Error("WebSocket (Call API)", "127.0.0.1:5059", "callcluster.gateway.port / CALLCLUSTER_WS_PORT",
                    new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AddressAlreadyInUse))));
        }
        finally
        {
            Console.SetError(stderr);
        }

        Assert.Equal(2, code);
        var line = Assert.Single(captured.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("127.0.0.1:5059", line, StringComparison.Ordinal);
        Assert.Contains("CALLCLUSTER_WS_PORT", line, StringComparison.Ordinal);
    }

    private static readonly CallCluster.Hosting.Cli.ProcessCommandLine CommandLine = new("test", "a test process", ["base.conf", "gateway.conf"]);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}

/// <summary>The ${?VAR} pre-pass that stands in for the environment lookup Akka's HOCON parser lacks.</summary>
public sealed class HoconEnvironmentTests
{
    private static readonly Dictionary<string, string> Env = new() { ["SET_PORT"] = "7070", ["TRICKY"] = "a\"b\\c" };

    private static Akka.Configuration.Config Parse(string hocon) =>
        Akka.Configuration.ConfigurationFactory.ParseString(HoconEnvironment.Apply(hocon, name => Env.GetValueOrDefault(name)));

    [Fact]
    public void A_set_variable_overrides_the_default_above_it()
    {
        Assert.Equal(7070, Parse("a { port = 5059\n  port = ${?SET_PORT}\n}").GetInt("a.port"));
    }

    [Fact]
    public void An_unset_variable_keeps_the_default()
    {
        var config = Parse("a {\n  port = 5059\n  port = ${?UNSET_PORT}  # comment\n  host = \"x\"\n}");
        Assert.Equal(5059, config.GetInt("a.port"));
        Assert.Equal("x", config.GetString("a.host"));
    }

    [Fact]
    public void Values_are_quoted_so_special_characters_survive()
    {
        Assert.Equal("a\"b\\c", Parse("v = ${?TRICKY}").GetString("v"));
    }
}
