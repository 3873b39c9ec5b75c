using System.Diagnostics;
using Xunit.Abstractions;

namespace Journeys.Storage.Tests.Crash;

/// <summary>
/// Kills the engine's process (SIGKILL) at random moments while it runs a journey of sends, a delay and a wait on a
/// durable store, starts it again, and counts what a crash may not lose. The child is tests/Journeys.CrashHost, started
/// with the store's arguments; the sink it sends to is <see cref="IdempotentTcpSink"/>, in this process.
/// </summary>
internal static class CrashHarness
{
    private const int CustomerCount = 2_000;

    /// <summary>Runs the kill loop, the last undisturbed run, and the counts, against the store the child is started with.</summary>
    /// <param name="output">Where the counts are printed.</param>
    /// <param name="storeArguments">The child's <c>--store</c> and <c>--connection</c> (and store-specific) arguments.</param>
    /// <param name="openStores">Opens the same database in the test process, to read what the child left.</param>
    public static async Task RunAsync(ITestOutputHelper output, string storeArguments, Func<StoreSet> openStores)
    {
        // At least 50 kills under CI=true; fewer locally unless JOURNEYS_CRASH_KILLS says otherwise.
        var kills = int.TryParse(Environment.GetEnvironmentVariable("JOURNEYS_CRASH_KILLS"), out var k) ? k
            : string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? 50 : 6;
        var random = new Random(Environment.TickCount);
        await using var sink = new IdempotentTcpSink();
        // The customers' delays end spread over about the time the kill loop takes (a start and up to 1.5 s per kill),
        // so kills keep landing among resumptions and sends, not only in the first runs' bursts.
        var spreadSeconds = kills * 2;
        var arguments = $"{storeArguments} --sink-port {sink.Port} --customers {CustomerCount} --spread-seconds {spreadSeconds}";
        var budget = Stopwatch.StartNew();
        var killed = 0;
        while (killed < kills && budget.Elapsed < TimeSpan.FromMinutes(10))
        {
            using var child = Start(arguments);
            if (!await WaitForLineAsync(child, "READY", TimeSpan.FromSeconds(60)))
            {
                child.Kill(entireProcessTree: true);
                Assert.Fail("the crash host did not start within 60 s");
            }

            // A random moment in the next 0..1.5 s of its work: during entry, sends, timers or the dispatcher.
            await Task.Delay(random.Next(0, 1500));
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
            killed++;
        }

        // The last run is left alone until the journey is done.
        using (var last = Start(arguments + " --until-done"))
        {
            var done = await WaitForLineAsync(last, "DONE", TimeSpan.FromMinutes(5));
            if (!done)
            {
                last.Kill(entireProcessTree: true);
            }

            await last.WaitForExitAsync();
            Assert.True(done, "the last run did not finish the journey within 5 minutes");
        }

        await using var stores = openStores();
        var enrollments = new List<Enrollment>();
        await foreach (var enrollment in stores.Enrollments.ListByJourneyAsync("crash", null))
        {
            enrollments.Add(enrollment);
        }

        var lost = CustomerCount - enrollments.Select(e => e.CustomerId).Distinct().Count();
        var timersNeverFired = enrollments.Count(e => e.Status == EnrollmentStatus.Waiting);
        var expectedSends = enrollments.Count(e => e.Status == EnrollmentStatus.Exited) * 2;
        var neverAttempted = Enumerable.Range(0, CustomerCount).Sum(i => (sink.Saw($"c{i:D5}", "send-1") ? 0 : 1) + (sink.Saw($"c{i:D5}", "send-2") ? 0 : 1));
        var pendingOutbox = await stores.Outbox.GetNextDueAsync();

        // Messages still leased (claimed by a run that was stopped or killed while sending) are not "due": claiming as
        // of a day later finds them too, whatever their lease.
        var unfinished = await stores.Outbox.ClaimAsync("crash-check", TimeProvider.System.GetUtcNow().AddDays(1), 100, TimeSpan.FromSeconds(1));
        output.WriteLine($"kills: {killed} (SIGKILL), customers: {CustomerCount} (delays ending over {spreadSeconds} s), enrollments: {enrollments.Count}");
        output.WriteLine($"enrollments lost: {lost}");
        output.WriteLine($"timers never fired: {timersNeverFired}");
        output.WriteLine($"messages never attempted: {neverAttempted}");
        output.WriteLine($"idempotency keys delivered twice: {sink.SentTwiceUnderDifferentKeys} (a send step applied twice under two keys)");
        output.WriteLine($"sends retried after a crash (same key, dropped by the sink): {sink.Retried}");
        output.WriteLine($"keys delivered: {sink.Delivered} of {expectedSends} expected; outbox pending: {(pendingOutbox is { } due ? due.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : "none")}, unfinished (incl. leased): {unfinished.Count}");

        Assert.True(killed >= kills, $"only {killed} of the {kills} kills asked for happened within the 10-minute budget");
        Assert.Equal(0, lost);
        Assert.Equal(CustomerCount, enrollments.Count);
        Assert.Equal(0, timersNeverFired);
        Assert.All(enrollments, e => Assert.Equal(EnrollmentStatus.Exited, e.Status));
        Assert.Equal(0, neverAttempted);
        Assert.Equal(0, sink.SentTwiceUnderDifferentKeys);
        Assert.Equal(CustomerCount * 2, sink.Delivered);
        Assert.Null(pendingOutbox);
        Assert.Empty(unfinished);
    }

    private static Process Start(string arguments)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{CrashHostPath()}\" {arguments}")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the crash host.");
    }

    private static async Task<bool> WaitForLineAsync(Process process, string expected, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cancel.Token) is { } line)
            {
                if (line == expected)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return false;
    }

    /// <summary>The crash host built next to this test project (same configuration), found from this assembly's folder.</summary>
    private static string CrashHostPath()
    {
        // .../tests/Journeys.Storage.Tests/bin/<Configuration>/net10.0/ → .../tests/Journeys.CrashHost/bin/<Configuration>/net10.0/
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        var tests = here.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(tests, "Journeys.CrashHost", "bin", configuration, framework, "Journeys.CrashHost.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The crash host is not built at {path}; build tests/Journeys.CrashHost.", path);
    }
}
