using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;

namespace CallCluster.Node.Webhooks;

/// <summary>The outcome of one POST: <paramref name="Ok"/> for a 2xx; otherwise the status or exception, for the
/// dead-letter list.</summary>
public sealed record WebhookAttemptResult(bool Ok, string Detail);

/// <summary>Sends webhook POSTs through one named client of an <see cref="IHttpClientFactory"/> (pooled, recycled
/// connections; the per-attempt timeout is the client's). No Polly retry policy on purpose: an in-process retry would
/// hold an endpoint's concurrency slot and be forgotten by a crash. Retries are the endpoint actor's, scheduled with
/// back-off and resumed from the journal after a restart.</summary>
public sealed class WebhookSender
{
    public const string ClientName = "callcluster-webhooks";

    private readonly IHttpClientFactory _factory;

    public WebhookSender(IHttpClientFactory factory) => _factory = factory;

    public static WebhookSender Create(TimeSpan requestTimeout)
    {
        var services = new ServiceCollection();
        services.AddHttpClient(ClientName, client => client.Timeout = requestTimeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(2), // DNS changes of receivers are picked up
                ConnectTimeout = TimeSpan.FromSeconds(5),
            });
        return new WebhookSender(services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>());
    }

    /// <summary>Never throws: every failure is a result (the endpoint actor pipes it back to itself).</summary>
    public async Task<WebhookAttemptResult> PostAsync(Uri url, byte[] body, string signature, long timestamp, string deliveryId)
    {
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
            request.Headers.TryAddWithoutValidation(WebhookSigner.SignatureHeader, signature);
            request.Headers.TryAddWithoutValidation(WebhookSigner.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation(WebhookSigner.DeliveryHeader, deliveryId);
            using var response = await _factory.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead)
                .ConfigureAwait(false);
            return new WebhookAttemptResult(response.IsSuccessStatusCode, "HTTP " + (int)response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException)
        {
            return new WebhookAttemptResult(false, e is TaskCanceledException or OperationCanceledException ? "timeout" : e.Message);
        }
    }
}
