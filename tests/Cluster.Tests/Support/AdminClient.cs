using System.Net.Http.Json;
using System.Text.Json;

namespace CallCluster.Cluster.Tests.Support;

/// <summary>The admin endpoint of one process (what <c>callctl</c> talks to): <c>POST /admin/v1/{palette}/{verb}</c>
/// with <c>{"args":[...]}</c>, and <c>/healthz/ready</c>.</summary>
public sealed class AdminClient(int port) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(15) };

    public int Port => port;

    /// <summary>Runs a verb; returns its rows (throws when the verb did not answer Ok).</summary>
    public async Task<IReadOnlyList<IReadOnlyList<string>>> RunAsync(string palette, string verb, params string[] args)
    {
        using var response = await _http.PostAsJsonAsync($"/admin/v1/{palette}/{verb}", new { args });
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"admin {palette} {verb} on :{port}: HTTP {(int)response.StatusCode} {text}");
        }

        using var doc = JsonDocument.Parse(text);
        var status = doc.RootElement.GetProperty("status").GetString();
        if (status != "Ok")
        {
            throw new InvalidOperationException($"admin {palette} {verb} {string.Join(' ', args)} on :{port}: {text}");
        }

        return doc.RootElement.GetProperty("rows").EnumerateArray()
            .Select(r => (IReadOnlyList<string>)r.EnumerateArray().Select(c => c.GetString() ?? "").ToList())
            .ToList();
    }

    /// <summary>The shard ids this process's region of <paramref name="type"/> hosts, with their entity counts.</summary>
    public async Task<IReadOnlyDictionary<string, int>> RegionStatsAsync(string type)
    {
        var rows = await RunAsync("sharding", "region-stats", type);
        return rows.ToDictionary(r => r[0], r => int.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The address of the member hosting an entity's shard ("unallocated" when none).</summary>
    public async Task<string> LocateAsync(string type, string id) => (await RunAsync("sharding", "locate", type, id))[0][3];

    public async Task<bool> IsReadyAsync()
    {
        try
        {
            using var response = await _http.GetAsync("/healthz/ready");
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();
}
