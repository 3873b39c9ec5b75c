using Journeys.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the Journeys HTTP API (<c>docs/http-api.md</c>) into an ASP.NET Core app.</summary>
public static class JourneysEndpointRouteBuilderExtensions
{
    /// <summary>The default route prefix, <c>/journeys-api</c>.</summary>
    public const string DefaultPrefix = "/journeys-api";

    /// <summary>
    /// Maps the Journeys endpoints under <paramref name="prefix"/>: journeys (create, update, get, list, delete, check,
    /// clone, start, stop), journey states, putting customers into a journey, events, statistics, customers and their
    /// fields, CSV imports, one-shot sendings and the engine's state. Every endpoint
    /// requires <see cref="JourneysApiOptions.AuthorizationPolicy"/> (by default: an authenticated user) unless
    /// <see cref="JourneysApiOptions.AllowAnonymous"/> is set. Errors are RFC 9457 problem details.
    /// </summary>
    /// <param name="endpoints">The app (or any endpoint route builder); its services must include <c>AddJourneys()</c>.</param>
    /// <param name="prefix">The route prefix, such as <c>/journeys-api</c>.</param>
    /// <param name="configure">Sets the policy, anonymous access and body size limits.</param>
    /// <returns>The route group, to add conventions (rate limiting, CORS, more metadata) to every endpoint.</returns>
    /// <exception cref="InvalidOperationException">The options combine a policy with anonymous access, name an empty policy, or set a body limit (<see cref="JourneysApiOptions.MaxRequestBodySize"/>, <see cref="JourneysApiOptions.MaxCsvBodySize"/>) that is not positive.</exception>
    public static RouteGroupBuilder MapJourneys(this IEndpointRouteBuilder endpoints, string prefix = DefaultPrefix, Action<JourneysApiOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var options = new JourneysApiOptions();
        configure?.Invoke(options);
        if (options.AllowAnonymous && options.AuthorizationPolicy is not null)
        {
            throw new InvalidOperationException(
                $"MapJourneys: AllowAnonymous and AuthorizationPolicy '{options.AuthorizationPolicy}' were both set; choose one.");
        }

        if (options.AuthorizationPolicy is { } named && string.IsNullOrWhiteSpace(named))
        {
            throw new InvalidOperationException("MapJourneys: AuthorizationPolicy is empty; name a policy, or leave it null for the default policy.");
        }

        if (options.MaxRequestBodySize <= 0)
        {
            throw new InvalidOperationException($"MapJourneys: MaxRequestBodySize must be positive (was {options.MaxRequestBodySize}).");
        }

        if (options.MaxCsvBodySize <= 0)
        {
            throw new InvalidOperationException($"MapJourneys: MaxCsvBodySize must be positive (was {options.MaxCsvBodySize}).");
        }

        var normalized = "/" + prefix.Trim('/');
        if (normalized == "/")
        {
            normalized = string.Empty;
        }

        var group = endpoints.MapGroup(normalized).WithTags("Journeys");
        group.AddEndpointFilter(new JourneysProblemFilter());
        if (options.AllowAnonymous)
        {
            group.AllowAnonymous();
        }
        else if (options.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }
        else
        {
            group.RequireAuthorization();
        }

        // One mapping per area, each in its own file.
        var api = new JourneysApi(normalized, options);
        JourneyLifecycleEndpoints.Map(group, api);
        JourneyStateEndpoints.Map(group, api);
        JourneyAudienceEndpoints.Map(group, api);
        EventEndpoints.Map(group, api);
        StatisticsEndpoints.Map(group, api);
        CustomerEndpoints.Map(group, api);
        CsvImportEndpoints.Map(group, api);
        SendingEndpoints.Map(group, api);
        EngineEndpoints.Map(group);
        return group;
    }

    /// <summary>Maps the Journeys endpoints under <see cref="DefaultPrefix"/> with options, such as <c>app.MapJourneys(o =&gt; o.AuthorizationPolicy = "journeys")</c>.</summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="configure">Sets the policy, anonymous access and body size limits.</param>
    /// <returns>The route group.</returns>
    /// <exception cref="InvalidOperationException">The options are refused, as by <see cref="MapJourneys(IEndpointRouteBuilder, string, Action{JourneysApiOptions}?)"/>.</exception>
    public static RouteGroupBuilder MapJourneys(this IEndpointRouteBuilder endpoints, Action<JourneysApiOptions> configure) =>
        MapJourneys(endpoints, DefaultPrefix, configure);
}
