using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace Journeys.Benchmarks;

/// <summary>
/// The runtime settings a throughput figure depends on, printed beside it by the probes (<see cref="Breakdown"/>):
/// the garbage collector's mode as the runtime reports it (server or workstation, concurrent or not; for server GC
/// its heap count and DATAS, the dynamic adaptation to the application's size; conserve memory), whatever set it:
/// project, <c>runtimeconfig.json</c> or a <c>DOTNET_</c> variable; the gen0 and JIT tiering variables when set; and
/// the process's memory at a point.
/// </summary>
internal static class RuntimeSettings
{
    private static readonly string[] Variables = ["DOTNET_GCgen0size", "DOTNET_GCgen0MaxBudget", "DOTNET_TieredCompilation", "DOTNET_TieredPGO", "DOTNET_TC_QuickJitForLoops", "DOTNET_ReadyToRun"];

    /// <summary>One line: <c>GC: server, concurrent (latency mode Interactive), heaps 2, DATAS 1, conserve memory 0; variables: ...</c>.</summary>
    public static string Describe()
    {
        var gc = GC.GetConfigurationVariables();
        string Setting(string name) => gc.TryGetValue(name, out var value) ? Convert.ToString(value, CultureInfo.InvariantCulture) ?? "?" : "?";
        var variables = Variables
            .Select(v => (Name: v, Value: Environment.GetEnvironmentVariable(v)))
            .Where(v => v.Value is not null)
            .Select(v => $"{v.Name}={v.Value}")
            .ToList();
        var server = GCSettings.IsServerGC;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"GC: {(server ? "server" : "workstation")}, {(GCSettings.LatencyMode == GCLatencyMode.Batch ? "non-concurrent" : "concurrent")} (latency mode {GCSettings.LatencyMode}), {(server ? $"heaps {Setting("HeapCount")}, DATAS {Setting("GCDynamicAdaptationMode")}, " : "")}conserve memory {Setting("GCConserveMem")}; variables: {(variables.Count == 0 ? "no DOTNET_ gen0 or tiering variable set" : string.Join(", ", variables))}");
    }

    /// <summary>
    /// One line of the process's memory now: the managed bytes in use (<see cref="GC.GetTotalMemory(bool)"/> without a
    /// collection: live objects and the garbage not yet collected), the GC's committed bytes after its last collection
    /// (stale when the run had none), the working set and the process's peak working set since it started.
    /// </summary>
    public static string DescribeMemory()
    {
        var info = GC.GetGCMemoryInfo();
        using var process = Process.GetCurrentProcess();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"  memory at the end: managed {GC.GetTotalMemory(false) / 1048576.0:N0} MB in use (garbage included), GC committed {info.TotalCommittedBytes / 1048576.0:N0} MB at its last collection; working set {process.WorkingSet64 / 1048576.0:N0} MB, peak working set of the process so far {process.PeakWorkingSet64 / 1048576.0:N0} MB");
    }
}
