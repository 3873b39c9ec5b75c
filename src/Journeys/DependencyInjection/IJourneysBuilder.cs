namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures Journeys after <see cref="JourneysServiceCollectionExtensions.AddJourneys"/>: stores, senders, campaigns, options.</summary>
public interface IJourneysBuilder
{
    /// <summary>The service collection Journeys is registered in.</summary>
    IServiceCollection Services { get; }
}
