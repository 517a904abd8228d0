using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CallCluster.Console.Tests.Support;

namespace CallCluster.Console.Tests;

/// <summary>What the gateway serves for the console, over plain HTTP with API tokens on: the page's files without a
/// token (they hold no data) and hardened; the read-only views /v1/cluster and /v1/webhooks only with
/// <c>calls:read</c>, like every REST GET; the webhook view without the URL's secret parts.</summary>
[Collection(SecuredNodeCollection.Name)]
public sealed class ConsoleRoutesTests(SecuredNodeFixture fixture) : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false })
    {
        BaseAddress = fixture.HttpEndpoint,
        Timeout = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task The_page_is_served_without_a_token_with_a_same_origin_content_policy()
    {
        var redirect = await _http.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/console/", redirect.Headers.Location?.OriginalString);

        var page = await _http.GetAsync("/console/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script type=\"module\" src=\"main.js\"></script>", await page.Content.ReadAsStringAsync());
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("connect-src 'self'", policy);
        Assert.Equal("nosniff", string.Join("", page.Headers.GetValues("X-Content-Type-Options")));

        var module = await _http.GetAsync("/console/call-api.js");
        Assert.Equal(HttpStatusCode.OK, module.StatusCode);
        Assert.Equal("text/javascript", module.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/console/no-such-file.js")).StatusCode);

        using var settings = JsonDocument.Parse(await _http.GetStringAsync("/console/settings.json"));
        Assert.Equal("/call-api", settings.RootElement.GetProperty("call_api").GetString());
        Assert.Equal("/call-api/ticket", settings.RootElement.GetProperty("ticket").GetString());
        Assert.Equal("/v1", settings.RootElement.GetProperty("rest").GetString());
    }

    [Theory]
    [InlineData("/v1/cluster")]
    [InlineData("/v1/webhooks")]
    public async Task The_views_need_a_token_with_calls_read(string path)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(path, token: null)).StatusCode);

        var forbidden = await GetAsync(path, fixture.ControlOnlyToken);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        using var problem = JsonDocument.Parse(await forbidden.Content.ReadAsStringAsync());
        Assert.Equal(-32005, problem.RootElement.GetProperty("code").GetInt32());

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(path, fixture.OperatorToken)).StatusCode);
    }

    [Fact]
    public async Task The_views_are_in_the_OpenAPI_document()
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync("/openapi.json"));
        var paths = document.RootElement.GetProperty("paths");
        Assert.True(paths.GetProperty("/v1/cluster").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/v1/webhooks").TryGetProperty("get", out _));
    }

    [Fact]
    public async Task The_cluster_view_lists_the_member_and_where_its_shards_are()
    {
        var answer = await GetAsync("/v1/cluster", fixture.OperatorToken);
        using var cluster = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        var root = cluster.RootElement;
        var self = Akka.Cluster.Cluster.Get(fixture.Node.Host.System).SelfAddress.ToString();
        Assert.Equal(self, root.GetProperty("self").GetString());
        Assert.Equal(self, root.GetProperty("leader").GetString());
        var member = Assert.Single(root.GetProperty("members").EnumerateArray());
        Assert.Equal(self, member.GetProperty("address").GetString());
        Assert.Equal("Up", member.GetProperty("status").GetString());
        Assert.Equal(["call-node", "gateway"], member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.True(member.GetProperty("reachable").GetBoolean());
        Assert.True(member.GetProperty("self").GetBoolean());
        Assert.Equal(["command", "dialog"], root.GetProperty("shards").EnumerateArray().Select(t => t.GetProperty("type").GetString()));
        foreach (var type in root.GetProperty("shards").EnumerateArray())
        {
            // Regions answer even with no shard allocated yet: the one member's region is listed.
            var region = Assert.Single(type.GetProperty("regions").EnumerateArray());
            Assert.Equal(self, region.GetProperty("address").GetString());
        }
    }

    [Fact]
    public async Task The_webhook_view_shows_each_endpoint_without_the_secret_parts_of_its_url()
    {
        // The registry lists an endpoint once its outbox has started (it recovers from the journal first): bounded retry.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string text;
        while (true)
        {
            var answer = await GetAsync("/v1/webhooks", fixture.OperatorToken);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            text = await answer.Content.ReadAsStringAsync();
            if (text.Contains("\"default\"", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }

        using var list = JsonDocument.Parse(text);
        var endpoint = Assert.Single(list.RootElement.GetProperty("endpoints").EnumerateArray());
        Assert.Equal("default", endpoint.GetProperty("name").GetString());
        Assert.Equal($"http://127.0.0.1:{fixture.WebhookPort}", endpoint.GetProperty("target").GetString());
        Assert.Equal("config", endpoint.GetProperty("source").GetString());
        Assert.Equal(0, endpoint.GetProperty("dead_letters").GetInt32());
        Assert.DoesNotContain(SecuredNodeFixture.WebhookUrlSecret, text);
    }

    private Task<HttpResponseMessage> GetAsync(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return _http.SendAsync(request);
    }

    public void Dispose() => _http.Dispose();
}
