using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;

namespace Journeys.Benchmarks;

/// <summary>
/// Trims a class's short-mode job (<c>--job short</c>: 1 launch, 3 warm-up, 3 measured iterations) where the defaults
/// spend time that buys this class nothing, and leaves every other job alone. Classes whose one invocation runs
/// thousands of customers (seconds of work, tiering done inside the first one, plus the jitting invocation
/// BenchmarkDotNet runs before the warm-ups) get 1 warm-up instead of 3; nanosecond classes get 100 ms iterations
/// instead of 500 ms (still millions of operations per iteration); a class still warming up after 3 warm-ups (the cost
/// growth's small case) gets more. <see cref="Program"/> sets
/// <see cref="Variable"/> when the command line asks for the short job; without it this attribute adds nothing.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class ShortModeAttribute : Attribute, IConfigSource
{
    /// <summary>Set to <c>1</c> by <see cref="Program"/> for <c>--job short</c>; child processes inherit it.</summary>
    public const string Variable = "JOURNEYS_BENCH_SHORT_MODE";

    private readonly int _warmups;
    private readonly int _iterationMilliseconds;

    /// <summary>Trims the short job of the class.</summary>
    /// <param name="warmups">Warm-up iterations in short mode (0 keeps the short job's 3).</param>
    /// <param name="iterationMilliseconds">Target iteration time in short mode (0 keeps 500 ms).</param>
    public ShortModeAttribute(int warmups = 0, int iterationMilliseconds = 0)
    {
        _warmups = warmups;
        _iterationMilliseconds = iterationMilliseconds;
    }

    /// <inheritdoc />
    public IConfig Config
    {
        get
        {
            var config = ManualConfig.CreateEmpty();
            if (Environment.GetEnvironmentVariable(Variable) != "1")
            {
                return config;
            }

            var job = new Job();
            if (_warmups > 0)
            {
                job = job.WithWarmupCount(_warmups);
            }

            if (_iterationMilliseconds > 0)
            {
                job = job.WithIterationTime(TimeInterval.FromMilliseconds(_iterationMilliseconds));
            }

            return config.AddJob(job.AsMutator());
        }
    }

    /// <summary>Whether the command line asks for BenchmarkDotNet's short job (<c>--job short</c> or <c>-j short</c>).</summary>
    /// <param name="args">The command line.</param>
    /// <returns>True for the short job.</returns>
    public static bool IsShortJob(IReadOnlyList<string> args) => string.Equals(JobArgument(args), "short", StringComparison.OrdinalIgnoreCase);

    /// <summary>The job the command line names (<c>--job name</c> or <c>-j name</c>), or <see langword="null"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>The job's name as given.</returns>
    public static string? JobArgument(IReadOnlyList<string> args)
    {
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] is "--job" or "-j")
            {
                return args[i + 1];
            }
        }

        return null;
    }
}
