using Journeys.PostgreSql;
using Journeys.Runtime;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Stores Journeys' journeys, customers, enrollments, outbox and statistics in PostgreSQL, shared by any number of hosts.</summary>
public static class PostgreSqlJourneysBuilderExtensions
{
    /// <summary>
    /// Uses PostgreSQL through a data source built from <paramref name="connectionString"/> (owned and disposed by the
    /// container; automatic statement preparation is turned on unless the string sets <c>Max Auto Prepare</c>). Replaces
    /// the in-memory stores whether called before or after <c>AddJourneys</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="configure">Sets store options (schema name, retries, notifications).</param>
    /// <returns>The builder.</returns>
    public static IJourneysBuilder UseNpgsql(this IJourneysBuilder builder, string connectionString, Action<PostgreSqlStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
        if (dataSourceBuilder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            dataSourceBuilder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }

        return Register(builder, null, static (_, b) => b!.Build(), dataSourceBuilder, ownsDataSource: true, configure);
    }

    /// <summary>
    /// Uses PostgreSQL through <paramref name="dataSource"/> (owned by the caller, not disposed by the container).
    /// Replaces the in-memory stores whether called before or after <c>AddJourneys</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="dataSource">The data source.</param>
    /// <param name="configure">Sets store options (schema name, retries, notifications).</param>
    /// <returns>The builder.</returns>
    public static IJourneysBuilder UsePostgreSql(this IJourneysBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return Register(builder, dataSource, static (d, _) => d!, null, ownsDataSource: false, configure);
    }

    private static IJourneysBuilder Register(
        IJourneysBuilder builder,
        NpgsqlDataSource? dataSource,
        Func<NpgsqlDataSource?, NpgsqlDataSourceBuilder?, NpgsqlDataSource> create,
        NpgsqlDataSourceBuilder? dataSourceBuilder,
        bool ownsDataSource,
        Action<PostgreSqlStoreOptions>? configure)
    {
        var services = builder.Services;
        services.AddOptions<PostgreSqlStoreOptions>().ValidateOnStart();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlStoreOptions>, PostgreSqlStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // Replace (not TryAdd): the in-memory defaults may already be registered when AddJourneys ran first.
        services.Replace(ServiceDescriptor.Singleton(sp => new PostgreSqlDatabase(
            create(dataSource, dataSourceBuilder),
            ownsDataSource,
            sp.GetRequiredService<IOptions<PostgreSqlStoreOptions>>().Value,
            (ILogger?)sp.GetService<ILogger<PostgreSqlDatabase>>() ?? NullLogger.Instance,
            sp.GetService<IOptions<JourneysOptions>>()?.Value.ShardCount)));
        services.Replace(ServiceDescriptor.Singleton(static sp => new PostgreSqlEngineStore(sp.GetRequiredService<PostgreSqlDatabase>())));
        services.Replace(ServiceDescriptor.Singleton<IJourneyStore>(static sp => new PostgreSqlJourneyStore(sp.GetRequiredService<PostgreSqlDatabase>(), sp.GetRequiredService<TimeProvider>())));
        services.Replace(ServiceDescriptor.Singleton<ICustomerStore>(static sp => new PostgreSqlCustomerStore(sp.GetRequiredService<PostgreSqlDatabase>())));
        services.Replace(ServiceDescriptor.Singleton<IEnrollmentStore>(static sp => sp.GetRequiredService<PostgreSqlEngineStore>()));
        services.Replace(ServiceDescriptor.Singleton<IOutboxStore>(static sp => sp.GetRequiredService<PostgreSqlEngineStore>()));
        services.Replace(ServiceDescriptor.Singleton<IStatisticsStore>(static sp => sp.GetRequiredService<PostgreSqlEngineStore>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgreSqlStoreInitializer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgreSqlNotificationListener>());
        return builder;
    }
}
