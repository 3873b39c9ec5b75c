using Journeys.Sqlite;
using Journeys.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite store of Journeys.</summary>
public static class SqliteJourneysBuilderExtensions
{
    /// <summary>
    /// Stores journeys, customers, enrollments, events, the outbox and statistics in a SQLite file, replacing the
    /// in-memory stores (whether <c>AddJourneys</c> ran before or after). The file is created and its schema migrated
    /// when the host starts; the options are validated then too.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, such as <c>Data Source=journeys.db</c>.</param>
    /// <param name="configure">Sets more options (busy timeout, <c>synchronous</c>).</param>
    /// <returns>The builder.</returns>
    public static IJourneysBuilder UseSqlite(this IJourneysBuilder builder, string connectionString, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connectionString);
        return Register(builder, o =>
        {
            o.ConnectionString = connectionString;
            configure?.Invoke(o);
        });
    }

    /// <summary>Stores everything in a SQLite file described by <paramref name="options"/> (copied now), replacing the in-memory stores.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="options">The options.</param>
    /// <returns>The builder.</returns>
    public static IJourneysBuilder UseSqlite(this IJourneysBuilder builder, SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var (connectionString, busyTimeout, synchronous, readers) = (options.ConnectionString, options.BusyTimeout, options.Synchronous, options.MaxIdleReaders);
        return Register(builder, o =>
        {
            o.ConnectionString = connectionString;
            o.BusyTimeout = busyTimeout;
            o.Synchronous = synchronous;
            o.MaxIdleReaders = readers;
        });
    }

    private static IJourneysBuilder Register(IJourneysBuilder builder, Action<SqliteStoreOptions> configure)
    {
        var services = builder.Services;
        services.AddOptions<SqliteStoreOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStoreOptions>, SqliteStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp =>
        {
            // The host builds its hosted services (the engine, and so this database) before it validates the options
            // marked ValidateOnStart: without this, a host refused for bad JourneysOptions had created or migrated the file.
            sp.GetService<IStartupValidator>()?.Validate();
            return new SqliteDatabase(
                sp.GetRequiredService<IOptions<SqliteStoreOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger("Journeys.Sqlite.SqliteDatabase"));
        });
        services.TryAddSingleton(static sp => new SqliteEngineStore(sp.GetRequiredService<SqliteDatabase>()));

        // Replace, not TryAdd: the in-memory defaults may already be registered by an earlier AddJourneys call.
        services.RemoveAll<IJourneyStore>();
        services.RemoveAll<ICustomerStore>();
        services.RemoveAll<IEnrollmentStore>();
        services.RemoveAll<IOutboxStore>();
        services.RemoveAll<IStatisticsStore>();
        services.AddSingleton<IJourneyStore>(static sp => new SqliteJourneyStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<ICustomerStore>(static sp => new SqliteCustomerStore(sp.GetRequiredService<SqliteDatabase>()));
        services.AddSingleton<IEnrollmentStore>(static sp => sp.GetRequiredService<SqliteEngineStore>());
        services.AddSingleton<IOutboxStore>(static sp => sp.GetRequiredService<SqliteEngineStore>());
        services.AddSingleton<IStatisticsStore>(static sp => sp.GetRequiredService<SqliteEngineStore>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SqliteStoreStartup>());
        return builder;
    }
}
