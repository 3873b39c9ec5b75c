using System.Diagnostics;

namespace Journeys.AspNetCore.Tests;

/// <summary>Debian's headless <c>chromium</c>, run as a bounded process that prints the DOM of a page after its scripts ran.</summary>
internal static class Chromium
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    /// <summary>The browser executable (the environment variable <c>JOURNEYS_TEST_CHROMIUM</c> first), or null when there is none.</summary>
    public static string? Executable { get; } =
        Environment.GetEnvironmentVariable("JOURNEYS_TEST_CHROMIUM") is { Length: > 0 } configured ? configured : Candidates.FirstOrDefault(File.Exists);

    /// <summary>Why the browser tests are skipped (no chromium, outside CI), or null when they run; under <c>CI=true</c> they always run and fail without chromium.</summary>
    public static string? SkipReason =>
        Executable is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? $"No chromium found (looked for {string.Join(", ", Candidates)} and JOURNEYS_TEST_CHROMIUM); install Debian's chromium package (.ci/chromium-setup) to run the browser tests. Under CI=true they fail instead."
            : null;

    /// <summary>
    /// Loads <paramref name="url"/> in headless chromium, lets its scripts run for <paramref name="virtualTimeBudget"/> of virtual time
    /// and returns the dumped DOM. The process is killed (with its children) after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<string> DumpDomAsync(Uri url, TimeSpan virtualTimeBudget, TimeSpan timeout)
    {
        var executable = Executable ?? throw new InvalidOperationException("No chromium executable: install Debian's chromium package (bash .ci/chromium-setup) or set JOURNEYS_TEST_CHROMIUM.");
        var profile = Directory.CreateTempSubdirectory("journeys-chromium-");
        try
        {
            var start = new ProcessStartInfo(executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                $"--user-data-dir={profile.FullName}",
                $"--virtual-time-budget={(long)virtualTimeBudget.TotalMilliseconds}",
                "--dump-dom", url.AbsoluteUri])
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["HOME"] = profile.FullName;
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cancellation = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                throw new TimeoutException($"{executable} did not finish loading {url} within {timeout.TotalSeconds:0}s and was killed. Its error output: {await stderr}");
            }

            var dom = await stdout;
            if (process.ExitCode != 0 || dom.Length == 0)
            {
                throw new InvalidOperationException($"{executable} exited with {process.ExitCode} for {url} and printed {dom.Length} characters. Its error output: {await stderr}");
            }

            return dom;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
