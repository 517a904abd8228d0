using CallCluster.LoadGen;

namespace CallCluster.LoadGen.Tests;

public class OptionsTests
{
    private static LoadGenOptions Ok(params string[] args)
    {
        var o = LoadGenOptions.TryParse(args, out var error);
        Assert.True(o is not null, error);
        return o!;
    }

    private static string Fails(params string[] args)
    {
        var o = LoadGenOptions.TryParse(args, out var error);
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
        Fails("--bogus", "--count", "1");
        Fails("--count");
    }

    [Fact]
    public void Help_returns_usage() => Assert.Equal(LoadGenOptions.Usage, Fails("--help"));

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
