using System.Globalization;
using System.Text;
using CriShim.Bench.Workloads;

namespace CriShim.Bench.Reporting;

/// <summary>The Markdown table of one run: CriShim beside containerd, the ratio, and the issue's targets.</summary>
sealed class Report(Measurements m, MachineInfo machine, BenchSettings settings, TimeSpan duration)
{
    const string Shim = "crishim";
    const string Ctrd = "containerd";

    /// <summary>A ratio target: CriShim/containerd at most <paramref name="Max"/>.</summary>
    sealed record Target(double Max)
    {
        public string Text => $"≤ {Max.ToString("0.##", CultureInfo.InvariantCulture)}";
        public string Verdict(double? ratio) => ratio is null ? "n/a" : ratio <= Max ? "✅ met" : "❌ missed";
    }

    static readonly Dictionary<string, Target> LifecycleTargets = new()
    {
        ["RunPodSandbox"] = new(0.5),
        [LifecycleWorkload.CreateAndStart] = new(0.8),
        ["ExecSync (true)"] = new(0.8),
    };

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# CriShim vs containerd: CRI benchmark");
        sb.AppendLine();
        sb.AppendLine($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {(settings.Quick ? "**quick** (smoke) run" : "full run")}, took {duration.TotalMinutes:0.0} min. " +
                      "Both runtimes driven over CRI gRPC on their own unix sockets, the same workload interleaved (A, B, A, B...). " +
                      "Produced by `make bench` (bench/, see bench/README.md).");
        sb.AppendLine();
        sb.AppendLine("| Machine | |");
        sb.AppendLine("| --- | --- |");
        sb.AppendLine($"| CPU | {machine.Cpu}, {machine.Cores} cores |");
        sb.AppendLine($"| Memory | {machine.Memory} |");
        sb.AppendLine($"| Kernel | {machine.Kernel} ({machine.Os}), cgroups {machine.Cgroups} |");
        sb.AppendLine($"| runc | {machine.Runc} |");
        sb.AppendLine($"| conmon | {machine.Conmon} |");
        foreach (var (name, version) in machine.Runtimes) sb.AppendLine($"| {name} | {version} |");
        sb.AppendLine($"| .NET | {machine.Dotnet} |");
        sb.AppendLine();

        sb.AppendLine($"## Pod lifecycle, sequential ({settings.LifecycleIterations} iterations, ms)");
        sb.AppendLine();
        sb.AppendLine("| Operation | CriShim p50 | containerd p50 | ratio | CriShim p90 | containerd p90 | ratio | CriShim p99 | containerd p99 | ratio | target (p50 ratio) |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var op in LifecycleWorkload.Operations.Append(LifecycleWorkload.CreateAndStart))
        {
            sb.Append($"| {op} ");
            foreach (var p in new[] { 50.0, 90, 99 })
            {
                var (a, b) = (m.P(Shim, op, p), m.P(Ctrd, op, p));
                sb.Append($"| {F(a)} | {F(b)} | {Ratio(a, b)} ");
            }
            sb.AppendLine($"| {TargetCell(LifecycleTargets.GetValueOrDefault(op), m.P(Shim, op, 50), m.P(Ctrd, op, 50))} |");
        }
        sb.AppendLine();

        sb.AppendLine("## Burst, density, images");
        sb.AppendLine();
        sb.AppendLine("| Metric | CriShim | containerd | CriShim/containerd | target |");
        sb.AppendLine("| --- | ---: | ---: | ---: | --- |");
        foreach (var size in settings.BurstSizes)
            Row(sb, $"burst: {size} pods in parallel until all run (s, median of {settings.BurstRounds})", BurstWorkload.Metric(size), 50,
                size == 10 ? new Target(0.7) : null);
        var n = settings.DensityPods;
        Row(sb, $"density: create {n} pods, {settings.Parallelism} at a time (s)", DensityWorkload.Fill, 50, null);
        Row(sb, "daemon RSS with 1 pod (MiB)", DensityWorkload.At(DensityWorkload.DaemonRss, 1), 50, null);
        Row(sb, $"daemon RSS with {n} pods (MiB)", DensityWorkload.At(DensityWorkload.DaemonRss, n), 50, new Target(1.0));
        Row(sb, $"helper RSS per pod at {n} pods (MiB; shim vs conmon...)", DensityWorkload.HelperRss, 50, new Target(0.15));
        Row(sb, $"helper PSS per pod at {n} pods (MiB; shared pages split)", DensityWorkload.HelperPss, 50, null);
        Row(sb, $"helper processes at {n} pods", DensityWorkload.At(DensityWorkload.Helpers, n), 50, null);
        foreach (var q in DensityWorkload.Queries)
        {
            Row(sb, $"{q} p99 at 1 pod (ms)", DensityWorkload.At(q, 1), 99, null);
            Row(sb, $"{q} p99 at {n} pods (ms)", DensityWorkload.At(q, n), 99, null);
            GrowthRow(sb, q, n, q.StartsWith("List", StringComparison.Ordinal));
        }
        Row(sb, $"{ImageWorkload.Cold} (ms, median of {settings.ImageRounds})", ImageWorkload.Cold, 50, null);
        Row(sb, $"{ImageWorkload.Concurrent} of the same image (ms, median)", ImageWorkload.Concurrent, 50, null);
        sb.AppendLine();

        sb.AppendLine("Ratios below 1 mean CriShim is faster or smaller. Helper processes are found by walking /proc for command lines " +
                      "that name the runtime's own root/state/socket directory: `containerd-shim-runc-v2` for containerd; `conmon` " +
                      "(and any CriShim helper) for CriShim. Pause/sleep processes inside the pods are not counted. " +
                      "Density runs one runtime at a time.");
        if (m.Notes.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Problems during the run");
            sb.AppendLine();
            foreach (var note in m.Notes) sb.AppendLine($"- {note.Replace("\n", " ")}");
        }
        return sb.ToString();
    }

    void Row(StringBuilder sb, string label, string metric, double p, Target? target)
    {
        var (a, b) = (m.P(Shim, metric, p), m.P(Ctrd, metric, p));
        sb.AppendLine($"| {label} | {F(a)} | {F(b)} | {Ratio(a, b)} | {TargetCell(target, a, b)} |");
    }

    /// <summary>p99 at N pods divided by p99 at 1 pod, per runtime; the target is CriShim's staying within 2×.</summary>
    void GrowthRow(StringBuilder sb, string query, int n, bool targeted)
    {
        double? Growth(string rt) => m.P(rt, DensityWorkload.At(query, n), 99) / m.P(rt, DensityWorkload.At(query, 1), 99);
        var (a, b) = (Growth(Shim), Growth(Ctrd));
        var target = targeted ? (a is null ? "≤ 2× (CriShim): n/a" : a <= 2 ? "≤ 2× (CriShim): ✅ met" : "≤ 2× (CriShim): ❌ missed") : "";
        sb.AppendLine($"| {query} p99 growth {n} pods / 1 pod (×) | {F(a)} | {F(b)} | | {target} |");
    }

    static string TargetCell(Target? t, double? a, double? b) => t is null ? "" : $"{t.Text}: {t.Verdict(a / b)}";

    static string F(double? v) => v is null || double.IsNaN(v.Value) ? "–" :
        v.Value >= 100 ? v.Value.ToString("0", CultureInfo.InvariantCulture) :
        v.Value >= 10 ? v.Value.ToString("0.0", CultureInfo.InvariantCulture) :
        v.Value.ToString("0.00", CultureInfo.InvariantCulture);

    static string Ratio(double? a, double? b) => a is null || b is null || b == 0 ? "–" : (a.Value / b.Value).ToString("0.00", CultureInfo.InvariantCulture);
}
