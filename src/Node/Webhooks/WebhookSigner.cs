using System.Security.Cryptography;
using System.Text;

namespace CallCluster.Node.Webhooks;

/// <summary>The signature of a webhook POST: <c>sha256=</c> and the lower-case hex HMAC-SHA256 of the raw body with
/// the endpoint's secret. The body carries the same timestamp as the <see cref="TimestampHeader"/>, so the signature
/// covers it: a receiver that checks both and remembers delivery ids for its tolerance window rejects replays
/// (docs/call-events.md shows the check).</summary>
public static class WebhookSigner
{
    public const string SignatureHeader = "X-CallCluster-Signature";
    public const string TimestampHeader = "X-CallCluster-Timestamp";
    public const string DeliveryHeader = "X-CallCluster-Delivery";

    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>What a receiver does: constant-time comparison of the header with the body's HMAC.</summary>
    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? header) =>
        header is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, body)), Encoding.ASCII.GetBytes(header));
}
