using Journeys.Storage.Tests.Crash;
using Xunit.Abstractions;

namespace Journeys.Storage.Tests.Sqlite;

/// <summary>The crash test (<see cref="CrashHarness"/>) on a SQLite file.</summary>
public sealed class SqliteCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly SqliteTestFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public Task Killing_the_engine_at_random_moments_loses_no_enrollment_timer_or_message_and_delivers_no_key_twice() =>
        CrashHarness.RunAsync(output, $"--store sqlite --connection \"Data Source={_file.Path}\"", () => _file.Stores(TimeProvider.System));
}
