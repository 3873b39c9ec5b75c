using System.Globalization;

namespace Journeys.Benchmarks;

/// <summary>
/// Figures a benchmark measures itself (timer lateness, memory per waiting enrollment) and hands from the benchmark
/// process, where BenchmarkDotNet runs it, to the host process, where the summary's columns are built: one small
/// <c>name=value</c> file per benchmark case in the folder named by <see cref="FolderVariable"/>, which
/// <see cref="Program"/> sets (children inherit it) under <c>BenchmarkDotNet.Artifacts/measured/</c>.
/// </summary>
internal static class ReportedValues
{
    /// <summary>The environment variable that names the folder.</summary>
    public const string FolderVariable = "JOURNEYS_BENCH_MEASURED";

    /// <summary>The folder, or <see langword="null"/> when the variable is not set (a run not started by <see cref="Program"/>).</summary>
    public static string? Folder => Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } folder ? folder : null;

    /// <summary>Records <paramref name="values"/> for the case <paramref name="caseKey"/>, replacing what was there.</summary>
    public static void Write(string caseKey, IReadOnlyDictionary<string, double> values)
    {
        if (Folder is not { } folder)
        {
            return;
        }

        Directory.CreateDirectory(folder);
        var lines = values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key}={v.Value:R}"));
        File.WriteAllLines(Path.Combine(folder, FileName(caseKey)), lines);
    }

    /// <summary>The value <paramref name="name"/> recorded for <paramref name="caseKey"/>, if any.</summary>
    public static double? Read(string caseKey, string name)
    {
        if (Folder is not { } folder)
        {
            return null;
        }

        var path = Path.Combine(folder, FileName(caseKey));
        if (!File.Exists(path))
        {
            return null;
        }

        foreach (var line in File.ReadLines(path))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && line.AsSpan(0, equals).SequenceEqual(name)
                && double.TryParse(line.AsSpan(equals + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }

    private static string FileName(string caseKey)
    {
        var chars = caseKey.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] is not ('-' or '_' or '.'))
            {
                chars[i] = '_';
            }
        }

        return new string(chars) + ".txt";
    }
}
