using Journeys.Audiences;
using Journeys.Messaging;
using Journeys.Runtime;
using Journeys.Sendings;
using Journeys.Statistics;
using Journeys.Storage;
using Journeys.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Journeys in a host's services.</summary>
public static class JourneysServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Journeys engine (a hosted service) and its <see cref="IJourneyEngineMonitor"/>, <see cref="IJourneyManager"/>, <see cref="IAudienceManager"/>, <see cref="ISendingManager"/>, <see cref="IJourneyExporter"/>, the in-memory stores unless
    /// another store is configured, and validated options. Calling it again only applies <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures stores, senders, campaigns and options.</param>
    /// <returns>The builder, for more configuration.</returns>
    public static IJourneysBuilder AddJourneys(this IServiceCollection services, Action<IJourneysBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new JourneysBuilder(services);
        configure?.Invoke(builder);

        services.AddOptions<JourneysOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JourneysOptions>, JourneysOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();

        // The in-memory stores are the default; UseSqlite/UsePostgreSql (or the host) register others first.
        services.TryAddSingleton<InMemoryCustomerStore>();
        services.TryAddSingleton<ICustomerStore>(static sp => sp.GetRequiredService<InMemoryCustomerStore>());
        services.TryAddSingleton<IJourneyStore>(static sp => new InMemoryJourneyStore(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(static sp => new InMemoryEngineStore(sp.GetRequiredService<InMemoryCustomerStore>()));
        services.TryAddSingleton<IEnrollmentStore>(static sp => sp.GetRequiredService<InMemoryEngineStore>());
        services.TryAddSingleton<IOutboxStore>(static sp => sp.GetRequiredService<InMemoryEngineStore>());
        services.TryAddSingleton<IStatisticsStore>(static sp => sp.GetRequiredService<InMemoryEngineStore>());

        services.TryAddSingleton<CompiledJourneyCache>();
        services.TryAddSingleton<SenderRegistry>();
        services.TryAddSingleton<JourneyStopGuard>();
        services.TryAddSingleton<CustomerWriteLock>();
        services.TryAddSingleton<FilterEntryRecheck>();
        services.TryAddSingleton(static sp => new JourneyEngine(
            sp.GetRequiredService<IEnrollmentStore>(),
            sp.GetRequiredService<IOutboxStore>(),
            sp.GetRequiredService<IStatisticsStore>(),
            sp.GetRequiredService<ICustomerStore>(),
            sp.GetRequiredService<CompiledJourneyCache>(),
            sp.GetRequiredService<SenderRegistry>(),
            sp.GetRequiredService<IOptions<JourneysOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<JourneyEngine>>(),
            sp.GetService<WebhookInvoker>(),
            sp.GetRequiredService<FilterEntryRecheck>(),
            sp.GetRequiredService<JourneyStopGuard>()));
        services.TryAddSingleton<IJourneyEngineSignal>(static sp => sp.GetRequiredService<JourneyEngine>());
        services.TryAddSingleton<IJourneyEngineMonitor>(static sp => sp.GetRequiredService<JourneyEngine>());
        services.TryAddSingleton<IJourneyManager, JourneyManager>();

        // The hosted service's entry-window intakes (JourneyManager.RunEntryWindowsAsync): an instance of their own (the
        // manager keeps no state), so a host that decorates or replaces IJourneyManager still has them.
        services.TryAddSingleton<JourneyManager>();
        services.TryAddSingleton<EventPurger>();
        services.TryAddSingleton<ISendingManager, SendingManager>();
        services.TryAddSingleton<IJourneyExporter, JourneyCsvExporter>();
        services.AddOptions<AudienceOptions>();
        services.TryAddSingleton<IAudienceManager, AudienceManager>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, JourneysHostedService>());
        return builder;
    }
}
