using Journeys.PostgreSql;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Journeys.Storage.Tests.PostgreSql;

/// <summary>
/// The PostgreSQL server the tests use: the connection string in <c>JOURNEYS_TEST_POSTGRES</c>. Without it the
/// PostgreSQL tests are skipped with that reason, except under <c>CI=true</c>, where they run and fail.
/// </summary>
internal static class PostgreSqlTestServer
{
    public const string Variable = "JOURNEYS_TEST_POSTGRES";

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>Why the PostgreSQL tests are skipped, or null when they run.</summary>
    public static string? SkipReason =>
        ConnectionString is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? $"No PostgreSQL server: set {Variable} to a connection string (e.g. Host=127.0.0.1;Username=journeys;Password=journeys;Database=journeys_test) to run these tests."
            : null;

    public static string RequireConnectionString() =>
        ConnectionString ?? throw new InvalidOperationException($"{Variable} is not set, and CI=true requires the PostgreSQL tests to run: run .ci/postgres-setup or set {Variable}.");

    /// <summary>A fresh, unique schema name.</summary>
    public static string NewSchema() => "t" + Guid.NewGuid().ToString("N");

    public static NpgsqlDataSource CreateDataSource() => new NpgsqlDataSourceBuilder(RequireConnectionString()).Build();

    public static PostgreSqlDatabase CreateDatabase(NpgsqlDataSource dataSource, string schema, Action<PostgreSqlStoreOptions>? configure = null)
    {
        var options = new PostgreSqlStoreOptions { SchemaName = schema, RetryDelay = TimeSpan.FromMilliseconds(50), MaxRetryDelay = TimeSpan.FromMilliseconds(200) };
        configure?.Invoke(options);
        return new PostgreSqlDatabase(dataSource, ownsDataSource: false, options, NullLogger.Instance);
    }

    public static async ValueTask DropSchemaAsync(string schema)
    {
        await using var dataSource = CreateDataSource();
        await using var command = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
        await command.ExecuteNonQueryAsync();
    }
}
