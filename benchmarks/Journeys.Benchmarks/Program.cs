using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

namespace Journeys.Benchmarks;

/// <summary>
/// Runs the benchmarks chosen on the command line (for example <c>--filter '*' --job short</c>, <c>--job dry</c>), or,
/// with <c>breakdown [customers] [runs] [hosted|stages|-] [batch]</c>, the Stopwatch breakdown of the engine's time (see <see cref="Breakdown"/>), or,
/// with <c>growth-probe waiting [runs] [customers] [ops-per-group] [force-gc]</c>, per-invocation GC and CPU figures of the cost growth host (see <see cref="GrowthProbe"/>), or,
/// with <c>waiting-memory [enrollments]</c>, the memory per waiting enrollment of the in-memory store (see <see cref="WaitingMemory"/>), or,
/// with <c>lateness-probe customers runs [no-delay]</c>, the delay variant's timer lateness split into its parts (see <see cref="LatenessProbe"/>), or,
/// with <c>send-parts messages rounds</c>, the dispatcher's per-message send path and its resilience pipeline's parts (see <see cref="SendParts"/>), or,
/// with <c>idempotent-parts messages rounds</c>, the idempotency decorator's per-message cost, single and in batches (see <see cref="IdempotentSendParts"/>), or,
/// with <c>peer-sizes journeys|workflowcore size[,size...] [runs]</c>, the peer comparison's no-delay journey at larger sizes (see <see cref="PeerSizes"/>), or,
/// with <c>csv-import [rows] [runs]</c>, the CSV import's stages and whole-process memory in a fresh process (see <see cref="CsvImportFigures"/>),
/// or, with <c>postgres [customers]</c>, the Stopwatch figures of the PostgreSQL store (see <see cref="PostgreSqlFigures"/>), or,
/// with <c>pg-probe [hosts] [customers] [runs] [intake]</c>, one engine run of <see cref="PostgreSqlStoreBenchmarks"/> at a time with client and server CPU time.
/// <see cref="PostgreSqlStoreBenchmarks"/> is left out, with a printed message, when <c>JOURNEYS_TEST_POSTGRES</c> is not set.
/// </summary>
public static class Program
{
    /// <summary>The command line of the run that starts BenchmarkDotNet here (<see cref="GcModesAttribute"/> reads its job), or <see langword="null"/> in a benchmark process.</summary>
    internal static IReadOnlyList<string>? CommandLine { get; private set; }

    /// <summary>The entry point.</summary>
    /// <param name="args">BenchmarkDotNet's command-line arguments, or <c>breakdown [customers] [runs] [hosted|stages]</c>.</param>
    public static async Task Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "breakdown")
        {
            var customers = args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 100_000;
            var runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
            await Breakdown.RunAsync(customers, runs, args.Length > 3 && args[3] != "-" ? args[3] : null, args.Length > 4 && args[4] == "batch");
            return;
        }

        if (args.Length > 0 && args[0] == "growth-probe")
        {
            await GrowthProbe.RunAsync(
                args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 1_000_000,
                args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20,
                args.Length > 3 ? int.Parse(args[3], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 20_000,
                args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 1,
                args.Length > 5 && args[5] == "force-gc");
            return;
        }

        if (args.Length > 0 && args[0] == "lateness-probe")
        {
            await LatenessProbe.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture), args.Length > 3 && args[3] == "no-delay");
            return;
        }

        if (args.Length > 0 && args[0] == "claim-probe")
        {
            await ClaimProbe.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
            return;
        }

        if (args.Length > 0 && args[0] == "send-parts")
        {
            await SendParts.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
            return;
        }

        if (args.Length > 0 && args[0] == "idempotent-parts")
        {
            await IdempotentSendParts.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
            return;
        }

        if (args.Length > 0 && args[0] == "resume-parts")
        {
            await ResumeParts.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
            return;
        }

        if (args.Length > 0 && args[0] == "peer-sizes")
        {
            if (args.Length < 3)
            {
                throw new ArgumentException("peer-sizes: expected 'peer-sizes journeys|workflowcore size[,size...] [runs]'.", nameof(args));
            }

            await PeerSizes.RunAsync(
                args[1],
                args[2].Split(',').Select(s => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray(),
                args.Length > 3 ? int.Parse(args[3], NumberStyles.None, CultureInfo.InvariantCulture) : 1);
            return;
        }

        if (args.Length > 0 && args[0] == "waiting-memory")
        {
            await WaitingMemory.RunAsync(args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 100_000);
            return;
        }

        if (args.Length > 0 && args[0] == "csv-import")
        {
            await CsvImportFigures.RunAsync(
                args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 1_000_000,
                args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3);
            return;
        }

        if (args.Length > 0 && args[0] == "sqlite-profile")
        {
            await SqliteProfile.RunAsync(
                args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 20_000,
                args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3,
                args.Length > 3 && string.Equals(args[3], "full", StringComparison.OrdinalIgnoreCase) ? Sqlite.SqliteSynchronousMode.Full : Sqlite.SqliteSynchronousMode.Normal);
            return;
        }

        if (args.Length > 0 && args[0] == "sqlite-enroll")
        {
            await SqliteProfile.EnrollAsync(
                args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 20_000,
                args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3,
                args.Length > 3 && string.Equals(args[3], "full", StringComparison.OrdinalIgnoreCase) ? Sqlite.SqliteSynchronousMode.Full : Sqlite.SqliteSynchronousMode.Normal);
            return;
        }

        if (args.Length > 0 && args[0] == "entry-history")
        {
            await SqliteScaleProbes.EntryHistoryAsync(
                args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 1_000,
                args.Length > 2 ? int.Parse(args[2], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 300);
            return;
        }

        if (args.Length > 0 && args[0] == "slow-send")
        {
            await SlowSendProbe.RunAsync(
                args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 2_000,
                args.Length > 2 ? int.Parse(args[2], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 1_000,
                args.Length > 3 ? int.Parse(args[3], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 1,
                args.Length > 4 ? int.Parse(args[4], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 5,
                args.Length > 5 ? int.Parse(args[5], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 16);
            return;
        }

        if (args.Length > 0 && args[0] == "sending-list")
        {
            await PublishHistoryProbe.SendingListAsync(
                args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 1_000,
                args.Length > 2 ? args[2] : "sqlite");
            return;
        }

        if (args.Length > 0 && args[0] == "publish-history")
        {
            await PublishHistoryProbe.RunAsync(
                args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 1_000,
                args.Length > 2 ? int.Parse(args[2], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 2_000,
                args.Length > 3 ? args[3].ToLowerInvariant() : "sqlite");
            return;
        }

        if (args.Length > 0 && args[0] == "event-purge")
        {
            await SqliteScaleProbes.EventPurgeAsync(args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 2_000_000);
            return;
        }

        if (args.Length > 0 && args[0] == "timer-ties")
        {
            await SqliteScaleProbes.TimerTiesAsync(args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 200_000);
            return;
        }

        if (args.Length > 0 && args[0] == "list-intake")
        {
            await ListIntakeProbe.RunAsync(
                args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 100_000,
                args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2,
                args.Length > 3 ? args[3].ToLowerInvariant() switch
                {
                    "memory" or "sqlite" or "postgres" => args[3].ToLowerInvariant(),
                    _ => throw new ArgumentException($"list-intake: the store is sqlite, memory or postgres, not '{args[3]}'."),
                } : "sqlite");
            return;
        }

        if (args.Length > 0 && args[0] == "pg-probe")
        {
            await PostgreSqlStoreBenchmarks.ProbeAsync(
                args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1,
                args.Length > 2 ? int.Parse(args[2], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 2_000,
                args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3,
                args.Length > 4 && string.Equals(args[4], "intake", StringComparison.OrdinalIgnoreCase));
            return;
        }

        if (args.Length > 0 && args[0] == "postgres")
        {
            await PostgreSqlFigures.RunAsync(args.Length > 1 ? int.Parse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) : 20_000);
            return;
        }

        // Figures the benchmark processes measure themselves (timer lateness, memory per enrollment) come back through
        // files in this folder (see ReportedValues); the child processes inherit the variable. Stale ones are removed.
        if (ReportedValues.Folder is null)
        {
            var measured = Path.GetFullPath(Path.Combine("BenchmarkDotNet.Artifacts", "measured"));
            if (Directory.Exists(measured))
            {
                Directory.Delete(measured, recursive: true);
            }

            Environment.SetEnvironmentVariable(ReportedValues.FolderVariable, measured);
        }

        // Short mode trims the job of some classes (see ShortModeAttribute); the child processes inherit the variable.
        if (ShortModeAttribute.IsShortJob(args))
        {
            Environment.SetEnvironmentVariable(ShortModeAttribute.Variable, "1");
        }

        // The build timeout: BenchmarkDotNet's default of 2 minutes is short for its build on a shared 2-core machine.
        // BenchmarkDotNet's build of each job imports BenchmarkCopy.targets (see there): the Journeys libraries and this
        // project are not compiled again for it, the ordinary build's assemblies are used.
        var copyTargets = typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BenchmarkCopyTargets").Value;
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .WithBuildTimeout(TimeSpan.FromMinutes(10))
            .AddJob(Job.Default.WithArguments([new MsBuildArgument($"/p:CustomAfterMicrosoftCommonTargets={copyTargets}")]).AsMutator());

        var types = typeof(Program).Assembly.GetExportedTypes()
            .Where(t => t.IsClass && !t.IsAbstract && t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), false)))
            .ToList();
        if (!PostgreSqlStoreBenchmarks.IsConfigured)
        {
            types.Remove(typeof(PostgreSqlStoreBenchmarks));
            Console.WriteLine(PostgreSqlStoreBenchmarks.SkipMessage);
        }

        // One folder per run for setup data the benchmark processes share (see RunCache); an outer run's is kept.
        var runCache = RunCache.Folder is null ? RunCache.Begin() : null;
        try
        {
            CommandLine = args;
            BenchmarkSwitcher.FromTypes([.. types]).Run(args, config);
        }
        finally
        {
            if (runCache is not null)
            {
                RunCache.End(runCache);
            }
        }
    }
}
