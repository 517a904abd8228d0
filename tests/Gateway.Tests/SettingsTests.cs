using Akka.Configuration;

namespace CallCluster.Gateway.Tests;

public sealed class SettingsTests
{
    [Fact]
    public void Missing_block_gives_the_defaults()
    {
        var s = GatewaySettings.FromConfig(ConfigurationFactory.ParseString("a = 1"));
        Assert.Equal(GatewaySettings.Default with { EnabledMethods = s.EnabledMethods }, s);
        Assert.Equal(["CallAttendedTransfer", "CallBlindTransfer", "CallEnd", "CallGet", "CallHold", "CallList", "CallStart", "CallUnHold", "CommandGet", "CommandSubscribe", "EventsSubscribe", "EventsUnsubscribe"], s.EnabledMethods.Order());
        Assert.Equal(65536, s.MaxFrameBytes);
        Assert.Equal(5059, s.Port);
    }

    [Fact]
    public void Block_is_read_and_missing_keys_default()
    {
        var s = GatewaySettings.FromConfig(ConfigurationFactory.ParseString("""
            callcluster.gateway {
              host = "0.0.0.0"
              port = 0
              ask-timeout = 250ms
              enabled-methods = [CallStart, CallEnd]
            }
            """));
        Assert.Equal("0.0.0.0", s.Host);
        Assert.Equal(0, s.Port);
        Assert.Equal("/call-api", s.Path);
        Assert.Equal(1000, s.MaxInFlightPerConnection);
        Assert.Equal(1024, s.OutboundBufferSize);
        Assert.Equal(TimeSpan.FromMilliseconds(250), s.AskTimeout);
        Assert.Equal(["CallEnd", "CallStart"], s.EnabledMethods.Order());
    }
}
