using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Journeys.Benchmarks;

/// <summary>
/// Customers per second (the <c>Customers</c> parameter divided by the mean time of one invocation) and, with
/// <paramref name="isReference"/>, that throughput divided by the throughput of the reference case (for example
/// Journeys ÷ WorkflowCore with the same parameters).
/// </summary>
/// <param name="name">The column's header.</param>
/// <param name="reference">What the reference case is, for the legend.</param>
/// <param name="isReference">Whether a case (first argument) is the reference of a row (second), or <see langword="null"/> for plain customers/s.</param>
internal sealed class CustomersPerSecondColumn(string name, string? reference = null, Func<BenchmarkCase, BenchmarkCase, bool>? isReference = null) : IColumn
{
    public string Id => nameof(CustomersPerSecondColumn) + "." + name;

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => isReference is null ? 0 : 1;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => isReference is null
        ? $"{name}: Customers divided by the mean time of one invocation"
        : $"{name}: customers/s of this row divided by customers/s of {reference}";

    /// <summary>
    /// Whether two cases are of one benchmark class, parameter combination and GC mode (a GC mode's rows compare with
    /// their own mode's, see <see cref="GcModesAttribute"/>). Not the whole job: a class's methods may run under jobs
    /// that differ otherwise (the store classes' engine rows run one invocation per iteration, their raw baselines
    /// BenchmarkDotNet's default count), and comparing whole jobs (2026-11-30 to 2026-12-01) left the store classes'
    /// "× raw" column empty.
    /// </summary>
    public static bool SameParameters(BenchmarkCase a, BenchmarkCase b) =>
        a.Descriptor.Type == b.Descriptor.Type && a.Parameters.FolderInfo == b.Parameters.FolderInfo && GcModesAttribute.JobMode(a) == GcModesAttribute.JobMode(b);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (PerSecond(summary, benchmarkCase) is not { } perSecond)
        {
            return "NA";
        }

        if (isReference is null)
        {
            return perSecond.ToString("N0", CultureInfo.InvariantCulture);
        }

        var peer = summary.BenchmarksCases.FirstOrDefault(c => isReference(c, benchmarkCase));
        return peer is not null && PerSecond(summary, peer) is { } peerPerSecond
            ? (perSecond / peerPerSecond).ToString("N2", CultureInfo.InvariantCulture) + " ×"
            : "NA";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    private static double? PerSecond(Summary summary, BenchmarkCase benchmarkCase)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return mean is > 0 && benchmarkCase.Parameters["Customers"] is int customers ? customers / (mean.Value / 1e9) : null;
    }
}
