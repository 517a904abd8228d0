using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace CallCluster.Hosting.Security;

/// <summary>Short-lived, single-use tickets for browsers, which cannot set a header on a WebSocket: a page gets one over
/// HTTPS with its token (POST /call-api/ticket) and passes it once as <c>?ticket=</c>. Only the ticket's SHA-256 is
/// kept. A concurrent dictionary rather than an actor: redeeming must be one atomic take (TryRemove) inside an HTTP
/// request, and nothing else reads or writes it. Tickets live in the gateway that issued them (docs/security.md).</summary>
public sealed class TicketStore(TimeSpan ttl)
{
    private readonly ConcurrentDictionary<string, Entry> _tickets = new(StringComparer.Ordinal);

    private sealed record Entry(string TokenId, long ExpiresAtMs);

    public TimeSpan Ttl { get; } = ttl;

    public string Issue(string tokenId)
    {
        Sweep();
        var ticket = "cck_" + TokenSecret.Base64Url(RandomNumberGenerator.GetBytes(32));
        _tickets[TokenSecret.Hash(ticket)] = new Entry(tokenId, Environment.TickCount64 + (long)Ttl.TotalMilliseconds);
        return ticket;
    }

    /// <summary>The id of the token the ticket was issued for, once; null for an unknown, used or expired ticket.</summary>
    public string? Redeem(string ticket)
    {
        if (string.IsNullOrEmpty(ticket) || ticket.Length > 512) return null;
        return _tickets.TryRemove(TokenSecret.Hash(ticket), out var entry) && entry.ExpiresAtMs > Environment.TickCount64
            ? entry.TokenId
            : null;
    }

    /// <summary>Drops expired tickets (a page that never used its ticket), so the store stays as small as the tickets in use.</summary>
    private void Sweep()
    {
        var now = Environment.TickCount64;
        foreach (var (key, entry) in _tickets)
        {
            if (entry.ExpiresAtMs <= now) _tickets.TryRemove(key, out _);
        }
    }
}
