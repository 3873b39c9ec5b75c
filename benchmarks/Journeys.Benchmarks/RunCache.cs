namespace Journeys.Benchmarks;

/// <summary>
/// A temporary folder shared by the benchmark processes of one run (BenchmarkDotNet starts one process per benchmark
/// case; they inherit the variable <see cref="FolderVariable"/>, which <see cref="Program"/> sets and whose folder it
/// deletes when the run ends). Setup data that is the same for every case of a run (the SQLite raw baseline's
/// 1,000,000-row table) is built once into it and copied by the later cases instead of being built again.
/// </summary>
internal static class RunCache
{
    /// <summary>The environment variable that names the folder.</summary>
    public const string FolderVariable = "JOURNEYS_BENCH_RUN_CACHE";

    /// <summary>The folder, or <see langword="null"/> when the variable is not set (a process not started through <see cref="Program"/>'s run).</summary>
    public static string? Folder => Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } folder ? folder : null;

    /// <summary>Creates a fresh folder for this run and sets the variable; returns the folder to delete at the end.</summary>
    public static string Begin()
    {
        var folder = Path.Combine(Path.GetTempPath(), "journeys-bench-run", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        Environment.SetEnvironmentVariable(FolderVariable, folder);
        return folder;
    }

    /// <summary>Deletes the run's folder.</summary>
    public static void End(string folder)
    {
        Environment.SetEnvironmentVariable(FolderVariable, null);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
