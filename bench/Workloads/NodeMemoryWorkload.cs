using CriShim.Bench.Infra;
using CriShim.Bench.Runtimes;

namespace CriShim.Bench.Workloads;

/// <summary>
/// What the runtime costs a node in memory with <see cref="BenchSettings.NodeMemoryPods"/> pods of
/// <see cref="BenchSettings.NodeMemoryContainers"/> containers each (issue #13): the daemon's PSS plus the PSS of every
/// helper process it keeps (<see cref="RuntimeUnderTest.Helpers"/>: containerd's one shim per pod, CriShim's conmon per
/// container), from /proc/PID/smaps_rollup, so pages the helpers share (their binary, libc) count once in all. The
/// processes inside the pods (pause, the workload) are the pods' own, not the runtime's. One runtime at a time.
/// </summary>
sealed class NodeMemoryWorkload : Workload
{
    public const string Total = "node memory PSS";
    public const string DaemonPss = "node memory daemon PSS";
    public const string Helpers = "node memory helper processes";

    public override string Title => "Node memory";

    public override int Steps(BenchSettings settings, int runtimes) => (settings.NodeMemoryPods + 1) * runtimes;

    public override async Task RunAsync(WorkloadContext ctx)
    {
        foreach (var rt in ctx.InTurn(1))
            await ctx.StepAsync(rt, Title, () => OneAsync(ctx, rt));
    }

    static async Task OneAsync(WorkloadContext ctx, RuntimeUnderTest rt)
    {
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, ctx.Settings.NodeMemoryPods),
                new ParallelOptions { MaxDegreeOfParallelism = ctx.Settings.Parallelism, CancellationToken = ctx.Ct },
                async (i, ct) =>
                {
                    await PodSpecs.RunPodWithContainersAsync(rt, $"memory-{i}", BenchSettings.NodeMemoryContainers, ct);
                    ctx.Advance($"{rt.Name}: pod {i + 1}");
                });
            await Task.Delay(TimeSpan.FromSeconds(3), ctx.Ct); // let start-up garbage settle before reading memory
            var daemon = ProcFs.PssBytes(rt.DaemonPid);
            if (daemon == 0) throw new InvalidOperationException($"no PSS for the daemon (pid {rt.DaemonPid}): /proc/{rt.DaemonPid}/smaps_rollup unreadable");
            var helpers = rt.Helpers();
            ctx.Record(rt, DaemonPss, daemon / 1048576.0);
            ctx.Record(rt, Helpers, helpers.Count);
            ctx.Record(rt, Total, (daemon + helpers.Sum(h => h.PssBytes)) / 1048576.0);
            ctx.Advance($"{rt.Name}: measured");
        }
        finally
        {
            await PodCleaner.RemoveAllPodsAsync(rt.Runtime, TimeSpan.FromMinutes(5));
        }
    }
}
