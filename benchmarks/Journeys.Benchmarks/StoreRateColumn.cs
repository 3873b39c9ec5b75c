using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Journeys.Benchmarks;

/// <summary>
/// The store benchmarks' rates: durable writes per second (the raw baseline's upserted rows, or the engine's applied
/// checkpoints, per invocation, divided by the mean time of one invocation), that rate as a fraction of the raw
/// baseline with the same parameters, and the engine's node steps per second.
/// </summary>
internal sealed class StoreRateColumn : IColumn
{
    /// <summary>The name <see cref="ReportedValues"/> keeps a case's mean durable writes per invocation under.</summary>
    public const string WritesValue = "writes";

    private readonly Kind _kind;

    private StoreRateColumn(Kind kind)
    {
        _kind = kind;
    }

    private enum Kind
    {
        WritesPerSecond,
        OfRaw,
        NodeStepsPerSecond,
    }

    /// <summary>Durable writes per second.</summary>
    public static StoreRateColumn Writes { get; } = new(Kind.WritesPerSecond);

    /// <summary>Writes per second ÷ the raw baseline's writes per second.</summary>
    public static StoreRateColumn OfRaw { get; } = new(Kind.OfRaw);

    /// <summary>5 × Customers ÷ mean, for the engine rows.</summary>
    public static StoreRateColumn NodeSteps { get; } = new(Kind.NodeStepsPerSecond);

    public string Id => nameof(StoreRateColumn) + "." + _kind;

    public string ColumnName => _kind switch
    {
        Kind.WritesPerSecond => "durable writes/s",
        Kind.OfRaw => "× raw",
        _ => "node steps/s",
    };

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => (int)_kind;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => _kind switch
    {
        Kind.WritesPerSecond => "durable writes/s: RawUpsertBaseline rows upserted, or EngineCheckpoints checkpoints committed (counted), per invocation ÷ mean",
        Kind.OfRaw => "× raw: durable writes/s of this row ÷ that of RawUpsertBaseline with the same parameters",
        _ => $"node steps/s: {BenchmarkData.StepsPerCustomer} × Customers ÷ mean (EngineCheckpoints)",
    };

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        switch (_kind)
        {
            case Kind.WritesPerSecond:
                return Format(WritesPerSecond(summary, benchmarkCase), "N0");
            case Kind.OfRaw:
                var raw = summary.BenchmarksCases.FirstOrDefault(c =>
                    c.Descriptor.WorkloadMethod.Name == "RawUpsertBaseline" && CustomersPerSecondColumn.SameParameters(c, benchmarkCase));
                return benchmarkCase.Descriptor.WorkloadMethod.Name != "EngineCheckpoints" || raw is null
                    || WritesPerSecond(summary, benchmarkCase) is not { } writes || WritesPerSecond(summary, raw) is not { } rawWrites
                    ? "-"
                    : (writes / rawWrites).ToString("P0", CultureInfo.InvariantCulture);
            default:
                var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
                return benchmarkCase.Descriptor.WorkloadMethod.Name == "EngineCheckpoints" && mean is > 0
                    && benchmarkCase.Parameters["Customers"] is int customers
                    ? (BenchmarkData.StepsPerCustomer * (double)customers / (mean.Value / 1e9)).ToString("N0", CultureInfo.InvariantCulture)
                    : "-";
        }
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    private static string Format(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static double? WritesPerSecond(Summary summary, BenchmarkCase benchmarkCase)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return mean is > 0 && ReportedValues.Read(MeasuredValueColumn.CaseKey(benchmarkCase), WritesValue) is { } writes && !double.IsNaN(writes)
            ? writes / (mean.Value / 1e9)
            : null;
    }
}
