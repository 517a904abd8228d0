using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using CallCluster.Hosting.Security;
using Xunit.Abstractions;

namespace CallCluster.Gateway.Tests.Security;

/// <summary>wss:// from a certificate file, as a Kubernetes TLS secret mounts it (PEM tls.crt + tls.key): a certificate
/// made in the test, a real TLS handshake with Kestrel, a JSON-RPC request over it.</summary>
public sealed class TlsTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("akka.loglevel = INFO", output), IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("callcluster-tls-").FullName;

    [Fact]
    public async Task The_gateway_serves_wss_with_the_certificate_file_and_a_client_that_trusts_it_completes_the_handshake()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        var certFile = Path.Combine(_dir, "tls.crt");
        var keyFile = Path.Combine(_dir, "tls.key");
        await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());

        var security = CallClusterSecurity.Standalone(SecuritySettings.Default with { Tls = new TlsSettings(certFile, keyFile, "") });
        var probe = CreateTestProbe();
        var region = Sys.ActorOf(Props.Create(() => new FakeCommandRegion(probe.Ref)));
        await using var server = await GatewayServer.StartAsync(Sys, region,
            GatewaySettings.Default with { Host = "127.0.0.1", Port = 0 }, security: security);
        Assert.Equal("wss", server.Endpoint.Scheme);

        X509Certificate? presented = null;
        await using var client = await WsClient.ConnectAsync(server.Endpoint, o => o.RemoteCertificateValidationCallback = (_, cert, _, _) =>
        {
            presented = cert;
            return cert is not null && cert.GetCertHashString() == certificate.GetCertHashString();
        });
        Assert.Equal(certificate.GetCertHashString(), presented!.GetCertHashString());
        var reply = await client.CallAsync("""{"jsonrpc":"2.0","id":1,"method":"CallEnd","params":{"callid":"c-tls"}}""");
        Assert.Equal("Started", reply.GetProperty("result").GetProperty("status").GetString());

        // A client that does not trust the certificate cannot complete the handshake.
        await Assert.ThrowsAnyAsync<Exception>(() => WsClient.ConnectAsync(server.Endpoint));
    }

    public new void Dispose()
    {
        base.Dispose();
        TempDirectory.DeleteBestEffort(_dir);
    }
}
