using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CallCluster.Hosting.Security;

/// <summary>The reusable piece: register once per web host, then one line per endpoint or group, e.g.
/// <c>app.MapGroup("/v1").RequireCallClusterToken(Scopes.CallsRead)</c> (docs/security.md).</summary>
public static class SecurityEndpointExtensions
{
    /// <summary>Adds the CallCluster authentication scheme (Bearer token, ticket, endpoint address policy, anonymous
    /// sandbox) and authorization.</summary>
    public static IServiceCollection AddCallClusterAuthentication(this IServiceCollection services, CallClusterSecurity security,
        Func<bool> allowAnonymous)
    {
        services.AddAuthentication(CallClusterAuthenticationHandler.SchemeName)
            .AddScheme<CallClusterAuthenticationOptions, CallClusterAuthenticationHandler>(CallClusterAuthenticationHandler.SchemeName, o =>
            {
                o.Security = security;
                o.AllowAnonymous = allowAnonymous;
            });
        services.AddAuthorization();
        return services;
    }

    /// <summary>Requests need a credential (401 without one) carrying every scope listed (403 when one is missing). With no
    /// scope listed any authenticated caller passes; the WebSocket endpoints check scopes per JSON-RPC request (-32005).</summary>
    public static TBuilder RequireCallClusterToken<TBuilder>(this TBuilder builder, params string[] scopes)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization(policy =>
        {
            policy.AddAuthenticationSchemes(CallClusterAuthenticationHandler.SchemeName).RequireAuthenticatedUser();
            foreach (var scope in scopes)
            {
                policy.RequireClaim(CallerIdentity.ScopeClaim, scope);
            }
        });
        return builder;
    }

    /// <summary>Lets clients without a token in from the policy's source networks (the compat endpoint's clients cannot
    /// send headers).</summary>
    public static TBuilder WithEndpointPolicy<TBuilder>(this TBuilder builder, string name, EndpointPolicy policy)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new EndpointPolicy.Metadata(policy, name));

    /// <summary>The identity of an authenticated request.</summary>
    public static CallerIdentity Caller(this HttpContext context, CallClusterSecurity security) =>
        CallerIdentity.From(context.User, security.Cache);

    /// <summary>Origin check, then authentication and authorization, in the order they must run (after routing, so the
    /// handler sees the endpoint's policy).</summary>
    public static WebApplication UseCallClusterSecurity(this WebApplication app, OriginPolicy origins)
    {
        app.UseRouting();
        app.Use((context, next) => origins.InvokeAsync(context, next));
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
