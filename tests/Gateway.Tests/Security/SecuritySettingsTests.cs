using Akka.Configuration;
using CallCluster.Hosting;
using CallCluster.Hosting.Security;

namespace CallCluster.Gateway.Tests.Security;

/// <summary>callcluster.security as shipped and as operators write it: HOCON objects, the CALLCLUSTER_TOKENS string,
/// comma-separated lists from environment variables; mistakes stop the start with one line.</summary>
public sealed class SecuritySettingsTests
{
    private static readonly string Hash = TokenSecret.Hash("cct_x");

    private static SecuritySettings Parse(string hocon) => SecuritySettings.FromConfig(
        ConfigurationFactory.ParseString(hocon).WithFallback(ConfigLoader.ParseFile(Path.Combine(ConfigLoader.HoconDirectory, "base.conf"))));

    [Fact]
    public void The_shipped_defaults_have_no_token_and_admit_loopback_to_the_compat_endpoint()
    {
        var s = Parse("");
        Assert.Empty(s.Tokens);
        Assert.Empty(s.AllowedOrigins);
        Assert.False(s.Insecure);
        Assert.False(s.Tls.Enabled);
        Assert.True(s.Compat.Admits(System.Net.IPAddress.Parse("127.0.0.5")));
        Assert.True(s.Compat.Admits(System.Net.IPAddress.IPv6Loopback));
        Assert.False(s.Compat.Admits(System.Net.IPAddress.Parse("10.0.0.1")));
        Assert.Equal([Scopes.CallsRead, Scopes.CallsControl], s.Compat.Scopes);
    }

    [Fact]
    public void Tokens_come_from_hocon_objects_and_from_the_environment_string()
    {
        var s = Parse($$"""
            callcluster.security {
              tokens = [{ id = crm, sha256 = "{{Hash}}", scopes = ["calls:read", "CALLS:CONTROL"], domains = ["Example.COM."],
                          expires = "2030-01-01T00:00:00Z", max-in-flight = 7, commands-per-second = 3 }]
              tokens-env = "ops {{Hash.ToUpperInvariant()}} admin; tenant {{Hash}} calls:read a.example,b.example"
              allowed-origins = "https://a.example, https://b.example/"
              compat { policy = addresses, allow = "10.1.2.0/24", scopes = ["calls:read"] }
            }
            """);
        var crm = s.Tokens.Single(t => t.Id == "crm");
        Assert.Equal([Scopes.CallsRead, Scopes.CallsControl], crm.Scopes);
        Assert.Equal(["example.com"], crm.Domains);
        Assert.Equal(DateTimeOffset.Parse("2030-01-01T00:00:00Z").ToUnixTimeMilliseconds(), crm.ExpiresAtMs);
        Assert.Equal((7, 3), (crm.MaxInFlight, crm.CommandsPerSecond));
        Assert.Equal(Hash, s.Tokens.Single(t => t.Id == "ops").Sha256);
        Assert.Equal(["a.example", "b.example"], s.Tokens.Single(t => t.Id == "tenant").Domains);
        Assert.Equal(["https://a.example", "https://b.example"], s.AllowedOrigins);
        Assert.True(s.Compat.Admits(System.Net.IPAddress.Parse("10.1.2.9")));
        Assert.False(s.Compat.Admits(System.Net.IPAddress.Loopback));
    }

    [Theory]
    [InlineData("callcluster.security.tokens = [{ id = a, sha256 = \"abc\", scopes = [admin] }]")]
    [InlineData("callcluster.security.tokens-env = \"a 0123 admin\"")]
    [InlineData("callcluster.security.tokens-env = \"a " + "0000000000000000000000000000000000000000000000000000000000000000" + " calls:write\"")]
    [InlineData("callcluster.security.compat.policy = everyone")]
    [InlineData("callcluster.security.compat.allow = \"not-a-network\"")]
    public void A_mistake_stops_the_start_with_one_line(string hocon)
    {
        var e = Assert.Throws<StartupException>(() => Parse(hocon));
        Assert.DoesNotContain('\n', e.Message);
    }
}
