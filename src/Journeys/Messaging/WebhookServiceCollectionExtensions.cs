using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Journeys.Messaging;

/// <summary>Registers the webhook invoker and its guarded HTTP client.</summary>
internal static class WebhookServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="WebhookInvoker"/>, the named HTTP client <c>Journeys.Webhooks</c> (address guard, no proxy,
    /// no redirects, no HTTP client logging, none of the application's HttpClient defaults' handlers) and <see cref="WebhookOptions"/> validated at start. Calling it twice only adds the configuration.
    /// </summary>
    public static IServiceCollection AddJourneysWebhooks(this IServiceCollection services, Action<WebhookOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<WebhookOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(WebhookInvoker)))
        {
            return services;
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        // No HttpClient logging: it writes the request URL at Information, and a receiver's URL often carries its secret
        // in the path (only the query is redacted). The invoker logs each call by journey and node instead.
        // Nor the application's HttpClient defaults (ConfigureHttpClientDefaults, applied before any client's own
        // configuration): a resilience handler added to every client (Aspire's service defaults add one) would retry
        // and time out inside the invoker's own pipeline, past the node's retries and timeout. Handlers the application
        // adds to this client by name afterwards are kept.
        services.AddHttpClient(WebhookInvoker.HttpClientName, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static sp => CreateHandler(sp.GetRequiredService<IOptions<WebhookOptions>>().Value))
            .ConfigureAdditionalHttpMessageHandlers(static (handlers, _) => handlers.Clear())
            .RemoveAllLoggers();
        services.TryAddSingleton<WebhookInvoker>();
        return services;
    }

    internal static SocketsHttpHandler CreateHandler(WebhookOptions options)
    {
        var allowed = OutboundAddressGuard.ParseAllowList(options.AllowedNetworks);
        return new SocketsHttpHandler
        {
            // A proxy would make the connect callback vet the proxy instead of the webhook host; a redirect could
            // lead to a plain-http or internal URL that the caller never checked.
            UseProxy = false,
            AllowAutoRedirect = false,
            // The handler is pooled and shared by every call: a receiver's Set-Cookie from one customer's call would go
            // back with later calls to that host, for other customers and journeys. Each call stands alone.
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = (context, cancellationToken) => OutboundAddressGuard.ConnectAsync(context, allowed, cancellationToken),
        };
    }
}
