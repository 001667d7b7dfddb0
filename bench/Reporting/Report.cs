using System.Globalization;
using System.Text;
using CriShim.Bench.Crictl;
using CriShim.Bench.Infra;
using CriShim.Bench.Workloads;

namespace CriShim.Bench.Reporting;

/// <summary>The Markdown tables of one run: CriShim beside containerd, the ratio, and the issues' targets.</summary>
sealed class Report(Measurements m, MachineInfo machine, RunConditions run, BenchSettings settings, TimeSpan duration)
{
    const string Shim = "crishim";
    const string Ctrd = "containerd";

    /// <summary>A ratio target: CriShim/containerd at most <paramref name="Max"/>.</summary>
    sealed record Target(double Max)
    {
        public string Text => $"≤ {Max.ToString("0.##", CultureInfo.InvariantCulture)}";
        public string Verdict(double? ratio) => ratio is null ? "n/a" : ratio <= Max ? "✅ met" : "❌ missed";
    }

    /// <summary>Issue #7's and #13's targets, by metric: the same ones for the gRPC rows and the crictl rows.</summary>
    static readonly Dictionary<string, Target> LifecycleTargets = new()
    {
        ["RunPodSandbox"] = new(0.5),
        [LifecycleWorkload.CreateAndStart] = new(0.8),
        ["ExecSync (true)"] = new(0.8),
        ["crictl runp"] = new(0.5),
        [CrictlLifecycleWorkload.CreateAndStart] = new(0.8),
        ["crictl exec -s"] = new(0.8),
    };

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# CriShim vs containerd: CRI benchmark");
        sb.AppendLine();
        sb.AppendLine($"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {(settings.Quick ? "**quick** (smoke) run" : "full run")}, took {duration.TotalMinutes:0.0} min. " +
                      "Both runtimes driven over CRI on their own unix sockets, the same workload interleaved (A, B, A, B...), " +
                      "with pods and containers as kubelet v1.26 configures them (a Burstable pod, RuntimeDefault seccomp, " +
                      "service account, etc-hosts and termination-log mounts) and " +
                      (run.Cni == CniMode.Realistic
                          ? $"the CNI chain `make run` installs ({run.CniChain}), a bridge and subnet of its own per runtime. "
                          : $"a **minimal** CNI network ({run.CniChain}, `--cni minimal`), a bridge and subnet of its own per runtime. ") +
                      "Produced by `make bench` (bench/, see bench/README.md).");
        sb.AppendLine();
        sb.AppendLine("| Machine | |");
        sb.AppendLine("| --- | --- |");
        sb.AppendLine($"| CPU | {machine.Cpu}, {machine.Cores} cores |");
        sb.AppendLine($"| Memory | {machine.Memory} |");
        sb.AppendLine($"| Kernel | {machine.Kernel} ({machine.Os}), cgroups {machine.Cgroups} |");
        sb.AppendLine($"| Load average (1 min) | {LoadText()} |");
        sb.AppendLine($"| runc | {machine.Runc} |");
        sb.AppendLine($"| conmon | {machine.Conmon} |");
        foreach (var (name, version) in machine.Runtimes) sb.AppendLine($"| {name} | {version} |");
        sb.AppendLine($"| CNI plugins | {machine.CniPlugins} |");
        sb.AppendLine($"| crictl | {run.CrictlVersion ?? $"not found ({run.CrictlSearched})"} |");
        sb.AppendLine($"| .NET | {machine.Dotnet} |");
        sb.AppendLine();

        sb.AppendLine($"## Pod lifecycle over gRPC, sequential ({settings.LifecycleIterations} iterations, ms)");
        sb.AppendLine();
        sb.AppendLine("An in-process client on one HTTP/2 connection per runtime, as kubelet holds one.");
        sb.AppendLine();
        LifecycleTable(sb, LifecycleWorkload.Operations.Append(LifecycleWorkload.CreateAndStart).Select(op => (op, op)));
        FloorLine(sb);
        sb.AppendLine();

        sb.AppendLine($"## Pod lifecycle through crictl, sequential ({settings.CrictlIterations} iterations, ms)");
        sb.AppendLine();
        if (run.CrictlVersion is null)
            sb.AppendLine($"not measured: crictl not found (looked at {run.CrictlSearched}; `--crictl PATH` names one).");
        else
        {
            sb.AppendLine($"A fresh `crictl` process per call ({run.CrictlVersion}), as an operator or a script runs it: process start, " +
                          "connection, a Version call, then the CRI call; the same pod and container configs as JSON files.");
            sb.AppendLine();
            LifecycleTable(sb, CrictlLifecycleWorkload.Operations.Append(("CreateContainer+StartContainer (`crictl create` + `crictl start`)", CrictlLifecycleWorkload.CreateAndStart)));
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
            var targeted = IsScaleTargeted(q);
            foreach (var pods in settings.DensityCheckpoints)
                Row(sb, $"{q} p99 at {pods} pod{(pods == 1 ? "" : "s")} (ms)", DensityWorkload.At(q, pods), 99, targeted && pods == n && n > 1 ? new Target(1.0) : null);
            GrowthRow(sb, q, n, targeted);
        }
        RestartRow(sb, settings.RestartAt);
        var node = $"{settings.NodeMemoryPods} pods x {BenchSettings.NodeMemoryContainers} containers";
        Row(sb, $"node memory: daemon + all helpers, PSS, {node} (MiB)", NodeMemoryWorkload.Total, 50, new Target(0.7));
        Row(sb, $"node memory: daemon alone, PSS, {node} (MiB)", NodeMemoryWorkload.DaemonPss, 50, null);
        Row(sb, $"node memory: helper processes, {node}", NodeMemoryWorkload.Helpers, 50, null);
        Row(sb, $"{ImageWorkload.Cold} (ms, median of {settings.ImageRounds})", ImageWorkload.Cold, 50, null);
        Row(sb, $"{ImageWorkload.Concurrent} of the same image (ms, median)", ImageWorkload.Concurrent, 50, null);
        Row(sb, $"{ImageWorkload.ColdSixLayers} (ms, median of {settings.ImageRounds})", ImageWorkload.ColdSixLayers, 50, new Target(0.8));
        sb.AppendLine();

        sb.AppendLine("Ratios below 1 mean CriShim is faster or smaller. Helper processes are found by walking /proc for command lines " +
                      "that name the runtime's own root/state/socket directory: `containerd-shim-runc-v2` for containerd; `conmon` " +
                      "(and any CriShim helper) for CriShim. Pause/sleep processes inside the pods are not counted. " +
                      "Node memory is PSS from /proc/PID/smaps_rollup (pages shared between processes split among them, so a " +
                      "helper binary's text counts once in all): the daemon plus every such helper, one per pod for containerd's " +
                      "shim, one per container for conmon. Density and node memory run one runtime at a time.");
        if (m.Notes.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Problems during the run");
            sb.AppendLine();
            foreach (var note in m.Notes) sb.AppendLine($"- {note.Replace("\n", " ")}");
        }
        return sb.ToString();
    }

    void LifecycleTable(StringBuilder sb, IEnumerable<(string Label, string Metric)> rows)
    {
        sb.AppendLine("| Operation | CriShim p50 | containerd p50 | ratio | CriShim p90 | containerd p90 | ratio | CriShim p99 | containerd p99 | ratio | target (p50 ratio) |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var (label, metric) in rows)
        {
            sb.Append($"| {label} ");
            foreach (var p in new[] { 50.0, 90, 99 })
            {
                var (a, b) = (m.P(Shim, metric, p), m.P(Ctrd, metric, p));
                sb.Append($"| {F(a)} | {F(b)} | {Ratio(a, b)} ");
            }
            sb.AppendLine($"| {TargetCell(LifecycleTargets.GetValueOrDefault(metric), m.P(Shim, metric, 50), m.P(Ctrd, metric, 50))} |");
        }
    }

    /// <summary>Bare runc create + start, and how far each runtime's Create+Start is above it (p50).</summary>
    void FloorLine(StringBuilder sb)
    {
        if (m.P(RuncFloorWorkload.Key, RuncFloorWorkload.Metric, 50) is not { } floor) return;
        string Above(string rt) => m.P(rt, LifecycleWorkload.CreateAndStart, 50) is { } v ? $"+{F(v - floor)} ms" : "–";
        sb.AppendLine();
        sb.AppendLine($"Floor: bare `runc create` + `runc start` of a `runc spec` bundle (no seccomp, no CNI, no monitor): " +
                      $"p50 {F(floor)} ms, p90 {F(m.P(RuncFloorWorkload.Key, RuncFloorWorkload.Metric, 90))} ms. " +
                      $"CreateContainer+StartContainer above it (p50): CriShim {Above(Shim)}, containerd {Above(Ctrd)}.");
    }

    string LoadText()
    {
        var after = run.LoadAfter is { } a ? $", after {a.ToString("0.00", CultureInfo.InvariantCulture)}" : "";
        var forced = run.Verdict == LoadVerdict.Forced ? " — **above the limit, forced (`--force`): not a quiet-machine result**" : "";
        return $"before {run.LoadBefore.ToString("0.00", CultureInfo.InvariantCulture)}{after} (limit {run.LoadLimit.ToString("0.0#", CultureInfo.InvariantCulture)}){forced}";
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

    /// <summary>Issue #13: the List calls kubelet makes every relist stay within 2× of 1 pod, and below containerd.</summary>
    static bool IsScaleTargeted(string query) => query.StartsWith("List", StringComparison.Ordinal);

    /// <summary>Issue #13: from the daemon's process start until it serves a ListPodSandbox with the pods recorded, ≤ 1 s.</summary>
    void RestartRow(StringBuilder sb, int pods)
    {
        var metric = DensityWorkload.At(DensityWorkload.Restart, pods);
        var (a, b) = (m.P(Shim, metric, 50), m.P(Ctrd, metric, 50));
        var target = a is null ? "≤ 1000 ms (CriShim): n/a" : a <= 1000 ? "≤ 1000 ms (CriShim): ✅ met" : "≤ 1000 ms (CriShim): ❌ missed";
        sb.AppendLine($"| restart: start to serving with {pods} pods recorded (ms) | {F(a)} | {F(b)} | {Ratio(a, b)} | {target} |");
    }

    static string TargetCell(Target? t, double? a, double? b) => t is null ? "" : $"{t.Text}: {t.Verdict(a / b)}";

    static string F(double? v) => v is null || double.IsNaN(v.Value) ? "–" :
        v.Value >= 100 ? v.Value.ToString("0", CultureInfo.InvariantCulture) :
        v.Value >= 10 ? v.Value.ToString("0.0", CultureInfo.InvariantCulture) :
        v.Value.ToString("0.00", CultureInfo.InvariantCulture);

    static string Ratio(double? a, double? b) => a is null || b is null || b == 0 ? "–" : (a.Value / b.Value).ToString("0.00", CultureInfo.InvariantCulture);
}
