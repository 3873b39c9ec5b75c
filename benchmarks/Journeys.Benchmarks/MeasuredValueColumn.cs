using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Journeys.Benchmarks;

/// <summary>A summary column showing a value the benchmark process measured itself and recorded with <see cref="ReportedValues"/>.</summary>
/// <param name="name">The column's header.</param>
/// <param name="valueName">The recorded value's name.</param>
/// <param name="format">The .NET number format.</param>
/// <param name="legend">The legend line.</param>
internal sealed class MeasuredValueColumn(string name, string valueName, string format, string legend) : IColumn
{
    public string Id => nameof(MeasuredValueColumn) + "." + valueName;

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 10;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => legend;

    /// <summary>
    /// The key a benchmark case's values are recorded under, in the benchmark process: type, method and parameters
    /// (ordered by name), and the GC mode its job asked for (<see cref="GcModesAttribute"/>), if any.
    /// </summary>
    public static string CaseKey(string type, string method, IEnumerable<(string Name, object Value)> parameters) =>
        CaseKey(type, method, parameters, GcModesAttribute.ProcessMode);

    /// <summary>The key of <see cref="CaseKey(string, string, IEnumerable{ValueTuple{string, object}})"/>, in the host process.</summary>
    public static string CaseKey(BenchmarkCase benchmarkCase) => CaseKey(
        benchmarkCase.Descriptor.Type.Name,
        benchmarkCase.Descriptor.WorkloadMethod.Name,
        benchmarkCase.Parameters.Items.Select(p => (p.Name, p.Value)),
        GcModesAttribute.JobMode(benchmarkCase));

    private static string CaseKey(string type, string method, IEnumerable<(string Name, object Value)> parameters, string? gcMode) =>
        type + "." + method + string.Concat(parameters
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"-{p.Name}={p.Value}"))) + GcModesAttribute.KeySuffix(gcMode);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        ReportedValues.Read(CaseKey(benchmarkCase), valueName) is { } value && !double.IsNaN(value)
            ? value.ToString(format, CultureInfo.InvariantCulture)
            : "-";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
