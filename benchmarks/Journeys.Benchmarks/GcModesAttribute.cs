using System.Globalization;
using System.Runtime;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Journeys.Benchmarks;

/// <summary>
/// Runs a class under both garbage collector modes a host of the library may have, side by side: <c>WorkstationGC</c>
/// (a console app's default: workstation, concurrent) and <c>ServerGC</c> (ASP.NET Core's default, from
/// <c>Microsoft.NET.Sdk.Web</c>: server, concurrent). Both jobs are copies of the job the command line asks for
/// (<c>--job short</c>, <c>dry</c>, ... or the default job), so its mutators (the class's <see cref="ShortModeAttribute"/>, the
/// command line's options) apply to both; the command line's own job is filtered out of the class, so every row of it
/// runs with a mode it names. Each job sets the runtime's variables (<c>DOTNET_gcServer</c> 0 or 1,
/// <c>DOTNET_gcConcurrent=1</c>, replacing any the shell set) and <see cref="Variable"/>: the benchmark process checks
/// that against the runtime's actual mode (<see cref="Check"/>, which throws when they differ) and reports what it
/// ran under in the <c>GC in process</c> column. With <c>--inProcess</c> the attribute adds nothing (an in-process job
/// cannot change the host's mode; the column still shows the mode it ran under). BenchmarkDotNet's <c>--envVars</c>
/// replaces a job's variables, so these classes then run no case: do not combine them.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class GcModesAttribute : Attribute, IConfigSource
{
    /// <summary>The environment variable each job sets to the mode it asks for (<c>workstation</c> or <c>server</c>).</summary>
    public const string Variable = "JOURNEYS_BENCH_GC_MODE";

    /// <summary>
    /// Set to <c>workstation</c> or <c>server</c> to run that mode's rows only, or to <c>both</c> to run both modes also
    /// where <see cref="BothInShortMode"/> is off.
    /// </summary>
    public const string OnlyVariable = "JOURNEYS_BENCH_GC_MODES";

    private const string BothValue = "both";

    /// <summary>
    /// Whether <c>--job short</c> runs both modes (the default). Off for the peer and engine classes: both modes put the
    /// whole short suite over its 10-minute budget (748 s on 2026-12-01, the engine class's 10 cases 238 s of it), so
    /// the short run keeps them on workstation GC (the mode of all their earlier runs, comparable with them).
    /// <c>JOURNEYS_BENCH_GC_MODES=both</c> and every other job run both modes.
    /// </summary>
    public bool BothInShortMode { get; init; } = true;

    private const string ServerValue = "server";
    private const string WorkstationValue = "workstation";

    /// <inheritdoc />
    public IConfig Config
    {
        get
        {
            var config = ManualConfig.CreateEmpty().AddColumn(new GcModeColumn());
            if (Program.CommandLine is not { } args || args.Any(a => a is "--inProcess" or "-i"))
            {
                return config;
            }

            var baseJob = BaseJob(args);
            var only = Environment.GetEnvironmentVariable(OnlyVariable);
            if (only is not (null or "" or WorkstationValue or ServerValue or BothValue))
            {
                throw new InvalidOperationException($"{OnlyVariable}='{only}': expected '{WorkstationValue}', '{ServerValue}', '{BothValue}' or nothing (both modes, or the class's short-mode choice).");
            }

            if (only is null or "" && !BothInShortMode && ShortModeAttribute.IsShortJob(args))
            {
                only = WorkstationValue;
            }

            var jobs = new[] { Mode(baseJob, WorkstationValue, "WorkstationGC"), Mode(baseJob, ServerValue, "ServerGC") };
            return config
                .AddJob(jobs.Where(j => only is null or "" or BothValue || JobMode(j) == only).ToArray())
                .AddFilter(new SimpleFilter(c => JobMode(c) is not null))
                .HideColumns("EnvironmentVariables"); // the Job column names the mode, "GC in process" shows it
        }
    }

    /// <summary>
    /// The part of a case key (<see cref="MeasuredValueColumn.CaseKey(string, string, IEnumerable{ValueTuple{string, object}})"/>)
    /// that tells the GC modes' rows of one case apart: empty without a mode, else <c>-gc=server</c> or <c>-gc=workstation</c>.
    /// In the benchmark process it comes from <see cref="Variable"/>, in the host from the case's job.
    /// </summary>
    public static string KeySuffix(string? mode) => mode is { Length: > 0 } ? "-gc=" + mode : "";

    /// <summary>The mode this benchmark process was asked for (<see cref="Variable"/>), or <see langword="null"/>.</summary>
    public static string? ProcessMode => Environment.GetEnvironmentVariable(Variable);

    /// <summary>The mode a case's job asks for, or <see langword="null"/> for a job of no <see cref="GcModesAttribute"/>.</summary>
    public static string? JobMode(BenchmarkCase benchmarkCase) => JobMode(benchmarkCase.Job);

    private static string? JobMode(Job job) => job.Environment.EnvironmentVariables?.FirstOrDefault(v => v.Key == Variable)?.Value;

    /// <summary>
    /// In the benchmark process: records the runtime's actual GC mode for the case (<see cref="GcModeColumn"/> shows
    /// it) and throws when it is not the mode the job asked for.
    /// </summary>
    /// <param name="caseKey">The case's key (<see cref="MeasuredValueColumn.CaseKey(string, string, IEnumerable{ValueTuple{string, object}})"/>).</param>
    public static void Check(string caseKey)
    {
        var server = GCSettings.IsServerGC;
        var concurrent = GCSettings.LatencyMode != GCLatencyMode.Batch;
        ReportedValues.Write(caseKey + ".gc", new Dictionary<string, double> { ["server"] = server ? 1 : 0, ["concurrent"] = concurrent ? 1 : 0 });
        if (ProcessMode is { } expected && ((expected == ServerValue) != server || !concurrent))
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture,
                $"The benchmark job asks for {expected} concurrent GC ({Variable}={expected}) but the process runs {Describe(server, concurrent)}"));
        }
    }

    // The mode is set by the runtime's variables, not by the job's GC characteristics (WithGcServer): BenchmarkDotNet
    // builds a separate copy of the project for each distinct GC characteristic (a runtimeconfig setting), minutes
    // each on this machine, while environment variables share one build. A variable overrides the project's setting.
    private static Job Mode(Job baseJob, string mode, string id) => baseJob
        .WithEnvironmentVariables(
            new EnvironmentVariable("DOTNET_gcServer", mode == ServerValue ? "1" : "0"),
            new EnvironmentVariable("DOTNET_gcConcurrent", "1"),
            new EnvironmentVariable(Variable, mode))
        .WithId(id);

    private static string Describe(bool server, bool concurrent) => (server ? "server" : "workstation") + (concurrent ? ", concurrent" : ", non-concurrent");

    private static Job BaseJob(IReadOnlyList<string> args) => ShortModeAttribute.JobArgument(args)?.ToLowerInvariant() switch
    {
        "dry" => Job.Dry,
        "short" => Job.ShortRun,
        "medium" => Job.MediumRun,
        "long" => Job.LongRun,
        "verylong" => Job.VeryLongRun,
        _ => Job.Default,
    };

    /// <summary>The GC mode the benchmark process ran under, as it reported it (<see cref="Check"/>).</summary>
    private sealed class GcModeColumn : IColumn
    {
        public string Id => nameof(GcModeColumn);

        public string ColumnName => "GC in process";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Job;

        public int PriorityInCategory => 100;

        public bool IsNumeric => false;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "GC in process: the garbage collector the benchmark process ran under (GCSettings.IsServerGC; concurrent unless GCSettings.LatencyMode is Batch), read inside it; a process whose mode differs from its job's fails";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var key = MeasuredValueColumn.CaseKey(benchmarkCase) + ".gc";
            return ReportedValues.Read(key, "server") is { } server && ReportedValues.Read(key, "concurrent") is { } concurrent
                ? Describe(server == 1, concurrent == 1)
                : "-";
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
