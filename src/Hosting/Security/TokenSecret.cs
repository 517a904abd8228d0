using System.Security.Cryptography;
using System.Text;

namespace CallCluster.Hosting.Security;

/// <summary>Token secrets: 32 random bytes, base64url with a recognisable prefix (so a leaked one can be found by secret
/// scanners), stored only as SHA-256. A fast hash is enough here: the secret has 256 bits of entropy, so there is no
/// dictionary to try, unlike a password.</summary>
public static class TokenSecret
{
    public const string Prefix = "cct_";

    public static string Generate() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>Lower-case hex SHA-256 of the token string as the client sends it.</summary>
    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool IsSha256Hex(string value) =>
        value.Length == 64 && value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    internal static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
