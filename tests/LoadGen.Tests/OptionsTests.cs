using CallCluster.LoadGen;

namespace CallCluster.LoadGen.Tests;

public class OptionsTests
{
    private static LoadGenOptions Ok(params string[] args)
    {
        var o = LoadGenCommandLine.TryParse(args, out var error);
        Assert.True(o is not null, error);
        return o!;
    }

    private static string Fails(params string[] args)
    {
        var o = LoadGenCommandLine.TryParse(args, out var error);
        Assert.Null(o);
        Assert.NotNull(error);
        return error!;
    }

    [Fact]
    public void Defaults_with_count()
    {
        var o = Ok("--count", "10");
        Assert.Equal(new Uri("ws://127.0.0.1:5059/call-api"), o.Url);
        Assert.Equal(1, o.Connections);
        Assert.Equal(1, o.InFlight);
        Assert.Equal(10, o.Count);
        Assert.Null(o.DurationSeconds);
        Assert.Equal(Dialect.CallCluster, o.Dialect);
        Assert.Equal("end=1", o.Mix.Text);
        Assert.Equal(600, o.MaxSeconds);
    }

    [Fact]
    public void Unbounded_run_is_refused()
    {
        Assert.Contains("bounded", Fails());
        Assert.Contains("bounded", Fails("--connections", "4", "--in-flight", "8"));
    }

    [Fact]
    public void Duration_alone_is_enough_and_extends_the_cap_when_needed()
    {
        var o = Ok("--duration", "2.5", "--warmup", "1");
        Assert.Equal(2.5, o.DurationSeconds);
        Assert.Equal(1, o.WarmupSeconds);
        var longer = Ok("--duration", "3000", "--warmup", "10");
        Assert.True(longer.MaxSeconds >= 3010);
    }

    [Theory]
    [InlineData("--count", "0")]
    [InlineData("--count", "10000001")]
    [InlineData("--count", "-1")]
    [InlineData("--duration", "0")]
    [InlineData("--duration", "3601")]
    [InlineData("--duration", "NaN")]
    [InlineData("--connections", "0")]
    [InlineData("--connections", "1025")]
    [InlineData("--in-flight", "0")]
    [InlineData("--in-flight", "10001")]
    [InlineData("--grace", "121")]
    [InlineData("--grace", "five")]
    [InlineData("--cpu-pid", "0")]
    [InlineData("--mi-concurrency", "4097")]
    public void Out_of_range_values_are_refused(string name, string value) => Fails(name, value, "--duration", "1");

    [Theory]
    [InlineData("ws://127.0.0.1:5059/call-api")]
    [InlineData("ws://127.8.9.10:1/x")]
    [InlineData("ws://localhost:5059/call-api")]
    [InlineData("ws://[::1]:5059/call-api")]
    public void Loopback_urls_are_accepted(string url) => Ok("--url", url, "--count", "1");

    [Theory]
    [InlineData("ws://10.0.0.1:5059/call-api")]
    [InlineData("ws://example.com/call-api")]
    [InlineData("ws://128.0.0.1/")]
    [InlineData("ws://[2001:db8::1]/")]
    public void Remote_urls_need_allow_remote(string url)
    {
        Assert.Contains("loopback", Fails("--url", url, "--count", "1"));
        Assert.Equal(new Uri(url), Ok("--url", url, "--count", "1", "--allow-remote").Url);
    }

    [Fact]
    public void Non_websocket_url_is_refused() => Fails("--url", "http://127.0.0.1/", "--count", "1");

    [Fact]
    public void Mi_address_parses_and_obeys_the_loopback_rule()
    {
        var o = Ok("--mi", "127.0.0.1:8080", "--count", "1");
        Assert.Equal("127.0.0.1:8080", o.Mi!.ToString());
        Assert.Equal(8080, Ok("--mi", "localhost:8080", "--count", "1").Mi!.Port);
        Fails("--mi", "10.1.1.1:8080", "--count", "1");
        Fails("--mi", "127.0.0.1", "--count", "1");
        Fails("--mi", "127.0.0.1:0", "--count", "1");
        Ok("--mi", "10.1.1.1:8080", "--count", "1", "--allow-remote");
    }

    [Fact]
    public void Inline_values_flags_and_dialect()
    {
        var o = Ok("--count=5", "--connections=3", "--dialect", "upstream", "--json-only", "--server-cmd-ids", "--mix=start=1,hold=2,end=1");
        Assert.Equal(5, o.Count);
        Assert.Equal(3, o.Connections);
        Assert.Equal(Dialect.Upstream, o.Dialect);
        Assert.True(o.JsonOnly);
        Assert.True(o.ServerCmdIds);
        Assert.Equal(2, o.Mix.Weight(OpKind.Hold));
        Fails("--dialect", "sip", "--count", "1");
        Fails("--json-only=yes", "--count", "1");
        Assert.Equal("start=1,hold=2", Ok("--mix=start=1,hold=2", "--count", "1").Mix.Text);
        Fails("--bogus", "--count", "1");
        Fails("--count");
    }

    [Fact]
    public void Every_flag_parses_into_its_option()
    {
        var o = Ok("--url", "ws://127.0.0.2:6000/x", "--connections", "7", "--in-flight", "9", "--count", "123", "--duration", "4.5",
            "--max-seconds", "50", "--warmup", "1.5", "--grace", "2", "--mix", "start=1,transfer=3", "--dialect", "upstream",
            "--mi", "127.0.0.1:9999", "--calls", "77", "--mi-concurrency", "8", "--settle", "0.25", "--server-cmd-ids",
            "--allow-remote", "--json-only", "--cpu-pid", "4242");
        Assert.Equal(new Uri("ws://127.0.0.2:6000/x"), o.Url);
        Assert.Equal(7, o.Connections);
        Assert.Equal(9, o.InFlight);
        Assert.Equal(123, o.Count);
        Assert.Equal(4.5, o.DurationSeconds);
        Assert.Equal(50, o.MaxSeconds);
        Assert.Equal(1.5, o.WarmupSeconds);
        Assert.Equal(2, o.GraceSeconds);
        Assert.Equal("start=1,transfer=3", o.Mix.Text);
        Assert.Equal(Dialect.Upstream, o.Dialect);
        Assert.Equal("127.0.0.1:9999", o.Mi!.ToString());
        Assert.Equal(77, o.Calls);
        Assert.Equal(8, o.MiConcurrency);
        Assert.Equal(0.25, o.SettleSeconds);
        Assert.True(o.ServerCmdIds);
        Assert.True(o.AllowRemote);
        Assert.True(o.JsonOnly);
        Assert.Equal(4242, o.CpuPid);
    }

    [Fact]
    public void Options_not_given_take_their_defaults()
    {
        var o = Ok("--duration", "1");
        Assert.Equal(new LoadGenOptions { DurationSeconds = 1, Mix = o.Mix }, o);
        Assert.Equal("end=1", o.Mix.Text);
        Assert.Equal(5, o.GraceSeconds);
        Assert.Equal(0, o.WarmupSeconds);
        Assert.Equal(128, o.MiConcurrency);
        Assert.Null(o.Count);
        Assert.Null(o.Mi);
        Assert.Null(o.Calls);
        Assert.Null(o.SettleSeconds);
        Assert.Null(o.CpuPid);
        Assert.False(o.JsonOnly || o.ServerCmdIds || o.AllowRemote);
    }

    [Fact]
    public async Task A_value_that_is_not_a_number_is_one_line_on_stderr_and_exit_code_2_without_running()
    {
        var (exit, stdout, stderr, ran) = await RunAsync("--count", "10", "--connections", "four");
        Assert.Equal(2, exit);
        Assert.False(ran);
        Assert.Equal("", stdout);
        Assert.Equal(["loadgen: --connections must be an integer in [1, 1024], not 'four'", "loadgen: --help for usage"], Lines(stderr));
    }

    [Fact]
    public async Task An_unknown_flag_is_an_error_with_exit_code_2()
    {
        var (exit, _, stderr, ran) = await RunAsync("--count", "10", "--conections", "4");
        Assert.Equal(2, exit);
        Assert.False(ran);
        Assert.Contains("loadgen: Unrecognized command or argument '--conections'.", Lines(stderr));
    }

    [Fact]
    public async Task Help_is_generated_from_the_option_table_and_runs_nothing()
    {
        var (exit, stdout, _, ran) = await RunAsync("--help");
        Assert.Equal(0, exit);
        Assert.False(ran);
        string[] flags =
        [
            "--url <URL>", "--connections <N>", "--in-flight <N>", "--count <N>", "--duration <SECONDS>", "--max-seconds <SECONDS>",
            "--warmup <SECONDS>", "--grace <SECONDS>", "--mix <SPEC>", "--dialect <callcluster|upstream>", "--mi <HOST:PORT>",
            "--calls <N>", "--mi-concurrency <N>", "--settle <SECONDS>", "--server-cmd-ids", "--allow-remote", "--json-only",
            "--cpu-pid <PID>",
        ];
        foreach (var flag in flags)
        {
            Assert.Contains("  " + flag + " ", stdout, StringComparison.Ordinal);
        }

        Assert.Contains("[default: ws://127.0.0.1:5059/call-api]", stdout, StringComparison.Ordinal);
        Assert.Contains("[default: end=1]", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_command_line_runs_with_its_options_and_returns_the_run_s_exit_code()
    {
        var (exit, _, stderr, ran) = await RunAsync("--count", "3", "--json-only");
        Assert.Equal(7, exit);
        Assert.True(ran);
        Assert.Equal("", stderr);
    }

    private static async Task<(int Exit, string Stdout, string Stderr, bool Ran)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var ran = false;
        var exit = await new LoadGenCommandLine().RunAsync(args, stdout, stderr, o =>
        {
            ran = o.Count == 3 && o.JsonOnly;
            return Task.FromResult(7);
        });
        return (exit, stdout.ToString(), stderr.ToString(), ran);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void Mix_schedule_interleaves_by_weight()
    {
        var mix = Mix.Parse("start=1,hold=2,end=1");
        Assert.Equal(4, mix.Schedule.Length);
        Assert.Equal(2, mix.Schedule.Count(k => k == OpKind.Hold));
        Assert.Equal(OpKind.Hold, mix.Schedule[0]);
        Assert.True(mix.NeedsCalls);
        Assert.False(Mix.Parse("start=3").NeedsCalls);
        Assert.Equal("end=1", Mix.Parse("end").Text);
        Assert.Equal("end=2", Mix.Parse("end=2,start=0").Text);
        Assert.Throws<FormatException>(() => Mix.Parse("end=0"));
        Assert.Throws<FormatException>(() => Mix.Parse("dance=1"));
        Assert.Throws<FormatException>(() => Mix.Parse("end=1,end=2"));
        Assert.Throws<FormatException>(() => Mix.Parse("end=x"));
    }

    [Fact]
    public void Default_call_pool_covers_the_count()
    {
        var o = Ok("--count", "1000", "--mix", "start=1,end=1", "--connections", "2", "--in-flight", "4");
        Assert.Equal(500, Runner.DefaultCalls(o));
        var hold = Ok("--count", "100", "--mix", "hold=1", "--connections", "2", "--in-flight", "4");
        Assert.Equal(8, Runner.DefaultCalls(hold));
        Assert.Equal(0, Runner.DefaultCalls(Ok("--count", "100", "--mix", "start=1")));
        Assert.Equal(20_000, Runner.DefaultCalls(Ok("--duration", "5")));
    }
}
