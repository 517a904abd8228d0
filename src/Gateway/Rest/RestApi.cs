using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CallCluster.Gateway.Rest;

/// <summary>Registers what the REST routes need on the gateway's web host, and maps them with the OpenAPI document.</summary>
public static class RestApi
{
    public const string OpenApiPath = "/openapi.json";

    private static readonly string[] PerRequestLogCategories =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics", "Microsoft.AspNetCore.Routing", "Microsoft.AspNetCore.Http.Result",
        "Microsoft.AspNetCore.Mvc",
    ];

    public static IServiceCollection AddCallApiRest(this IServiceCollection services, CallApiDispatcher dispatcher, RestParams rest,
        ClusterStatusQuery cluster, WebhookStatusQuery webhooks)
    {
        services.AddSingleton(dispatcher);
        services.AddSingleton(rest);
        services.AddSingleton(cluster);
        services.AddSingleton(webhooks);
        // The WebSocket API's member names (cmd_id, state_code, next_cursor): one policy instead of an attribute each.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddProblemDetails();
        // ASP.NET writes four information lines per request (start, endpoint, status, finish): at REST rates they
        // would cost more than the request. Warnings and errors still show.
        services.AddLogging(logging =>
        {
            foreach (var category in PerRequestLogCategories)
            {
                logging.AddFilter(category, LogLevel.Warning);
            }
        });
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new Microsoft.OpenApi.OpenApiInfo
            {
                Title = "CallCluster Call API",
                Version = "v1",
                Description = "The Call API's commands and queries over HTTP (docs/rest-api.md). Errors are RFC 9457 problem " +
                    "details whose member `code` is the WebSocket API's JSON-RPC error code.",
            };
            return Task.CompletedTask;
        }));
        return services;
    }

    /// <summary>Maps <c>/v1</c> and <c>/openapi.json</c>; returns the <c>/v1</c> group for policies to attach to.</summary>
    public static RouteGroupBuilder MapCallApiRestWithOpenApi(this WebApplication app)
    {
        app.MapOpenApi(OpenApiPath);
        return app.MapCallApiRest();
    }
}
