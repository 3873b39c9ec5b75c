namespace Journeys.Storage.Tests.Sqlite;

/// <summary>A fact that runs only when JOURNEYS_CRASH_TEST=1 (the crash test starts and kills child processes for minutes).</summary>
public sealed class SkippableCrashFactAttribute : FactAttribute
{
    public SkippableCrashFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("JOURNEYS_CRASH_TEST") != "1")
        {
            Skip = "The SQLite crash test is opt-in: set JOURNEYS_CRASH_TEST=1 (and JOURNEYS_CRASH_KILLS for the number of kills).";
        }
    }
}
