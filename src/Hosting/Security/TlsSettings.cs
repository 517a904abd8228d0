using System.Security.Cryptography.X509Certificates;

namespace CallCluster.Hosting.Security;

/// <summary>A server certificate for Kestrel: a PEM certificate and key (what a Kubernetes TLS secret mounts as
/// tls.crt and tls.key), or a PKCS#12 file with an optional password. Empty: plain HTTP/ws.</summary>
public sealed record TlsSettings(string CertificateFile, string KeyFile, string Password)
{
    public static TlsSettings None { get; } = new("", "", "");

    public bool Enabled => CertificateFile.Length > 0;

    /// <summary>Reads the certificate now, so a wrong path or password stops the process at start with one line.</summary>
    public X509Certificate2 Load()
    {
        try
        {
            if (KeyFile.Length > 0)
            {
                return X509Certificate2.CreateFromPemFile(CertificateFile, KeyFile);
            }

            return X509CertificateLoader.LoadPkcs12FromFile(CertificateFile, Password.Length > 0 ? Password : null);
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new StartupException(
                $"TLS certificate {CertificateFile} cannot be loaded ({e.Message}); check callcluster.security.tls " +
                "(CALLCLUSTER_TLS_CERT, CALLCLUSTER_TLS_KEY, CALLCLUSTER_TLS_PASSWORD)", e);
        }
    }
}
