using System.Buffers.Text;
using System.Text;

namespace CallCluster.Gateway.Calls;

/// <summary>CallList's cursor: the last Call-ID a page looked at, base64url-encoded so that clients treat it as
/// opaque. Pages are in ordinal Call-ID order, so a cursor stays valid whatever calls start or end meanwhile: no
/// call present for the whole walk is skipped or repeated.</summary>
public static class CallCursor
{
    public static string Encode(string callId) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(callId));

    /// <summary>The Call-ID the cursor stands for, or null when it is not one this server gave out.</summary>
    public static string? Decode(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            return text.Length > 0 ? text : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
