using System.Diagnostics;
using CriShim.Bench.Infra;
using CriShim.Bench.Runtimes;
using Runtime.V1;

namespace CriShim.Bench.Workloads;

/// <summary>
/// Many running pods (one kubelet-shaped container each): what the daemon and its per-pod helpers cost in memory, how
/// List*/ContainerStats latency grows from 1 pod to many (measured at each of <see cref="BenchSettings.DensityCheckpoints"/>),
/// and how long the daemon takes from a restart to serving with <see cref="BenchSettings.RestartAt"/> pods recorded.
/// One runtime at a time (both full would share the machine's memory and CPU), in the order A then B.
/// </summary>
sealed class DensityWorkload : Workload
{
    public const string Fill = "density fill";
    public const string DaemonRss = "daemon RSS";
    public const string HelperRss = "helper RSS per pod";
    public const string HelperPss = "helper PSS per pod";
    public const string Helpers = "helper processes";
    public const string Restart = "restart to serving";
    public static readonly string[] Queries = ["ListPodSandbox", "ListContainers", "ListContainerStats", "ContainerStats"];

    public static string At(string metric, int pods) => $"{metric} @{pods}";

    public override string Title => "Density";

    public override int Steps(BenchSettings settings, int runtimes) => (settings.DensityPods + settings.DensityCheckpoints.Count + 1) * runtimes;

    public override async Task RunAsync(WorkloadContext ctx)
    {
        foreach (var rt in ctx.InTurn(0))
            await ctx.StepAsync(rt, Title, () => OneAsync(ctx, rt));
    }

    static async Task OneAsync(WorkloadContext ctx, RuntimeUnderTest rt)
    {
        var n = ctx.Settings.DensityPods;
        var pods = new List<(string PodId, string ContainerId)>();
        var gate = new Lock();
        try
        {
            pods.Add(await PodSpecs.RunPodWithContainerAsync(rt, "density-0", ctx.Ct));
            ctx.Advance($"{rt.Name}: 1 pod");
            ctx.Record(rt, At(DaemonRss, 1), ProcFs.RssBytes(rt.DaemonPid) / 1048576.0);
            await MeasureAsync(ctx, rt, pods, 1);

            var fill = TimeSpan.Zero;
            foreach (var checkpoint in ctx.Settings.DensityCheckpoints.Where(c => c > 1))
            {
                var from = pods.Count;
                var sw = Stopwatch.StartNew();
                await Parallel.ForEachAsync(Enumerable.Range(from, checkpoint - from),
                    new ParallelOptions { MaxDegreeOfParallelism = ctx.Settings.Parallelism, CancellationToken = ctx.Ct },
                    async (i, ct) =>
                    {
                        var pod = await PodSpecs.RunPodWithContainerAsync(rt, $"density-{i}", ct);
                        lock (gate) pods.Add(pod);
                        ctx.Advance($"{rt.Name}: {pods.Count} pods");
                    });
                fill += sw.Elapsed;
                if (checkpoint == n)
                {
                    ctx.Record(rt, Fill, fill.TotalSeconds);
                    await Task.Delay(TimeSpan.FromSeconds(3), ctx.Ct); // let start-up garbage settle before reading memory
                    ctx.Record(rt, At(DaemonRss, n), ProcFs.RssBytes(rt.DaemonPid) / 1048576.0);
                    var helpers = rt.Helpers();
                    ctx.Record(rt, At(Helpers, n), helpers.Count);
                    ctx.Record(rt, HelperRss, helpers.Sum(h => h.RssBytes) / 1048576.0 / n);
                    ctx.Record(rt, HelperPss, helpers.Sum(h => h.PssBytes) / 1048576.0 / n);
                }
                await MeasureAsync(ctx, rt, pods, checkpoint);
                ctx.Advance($"{rt.Name}: measured at {checkpoint} pods");
                if (checkpoint == ctx.Settings.RestartAt)
                {
                    ctx.Record(rt, At(Restart, checkpoint), await rt.RestartAsync(checkpoint, ctx.Ct));
                    ctx.Advance($"{rt.Name}: restarted with {checkpoint} pods");
                }
            }
        }
        finally
        {
            await PodCleaner.RemoveAllPodsAsync(rt.Runtime, TimeSpan.FromMinutes(5));
        }
    }

    static async Task MeasureAsync(WorkloadContext ctx, RuntimeUnderTest rt, List<(string PodId, string ContainerId)> pods, int count)
    {
        var cri = rt.Runtime;
        var ct = ctx.Ct;
        DateTime Deadline() => DateTime.UtcNow.AddSeconds(30);
        for (var i = 0; i < 50; i++) // unrecorded: first calls pay for client and server warm-up (JIT tiering)
        {
            await cri.ListPodSandboxAsync(new ListPodSandboxRequest(), deadline: Deadline(), cancellationToken: ct);
            await cri.ListContainersAsync(new ListContainersRequest(), deadline: Deadline(), cancellationToken: ct);
            await cri.ListContainerStatsAsync(new ListContainerStatsRequest(), deadline: Deadline(), cancellationToken: ct);
            await cri.ContainerStatsAsync(new ContainerStatsRequest { ContainerId = pods[0].ContainerId }, deadline: Deadline(), cancellationToken: ct);
        }
        for (var i = 0; i < ctx.Settings.QueryCalls; i++)
        {
            var l = await ctx.TimeAsync(rt, At(Queries[0], count), async () => await cri.ListPodSandboxAsync(new ListPodSandboxRequest(), deadline: Deadline(), cancellationToken: ct));
            if (l.Items.Count < count) throw new InvalidOperationException($"ListPodSandbox shows {l.Items.Count} pods, expected {count}");
            await ctx.TimeAsync(rt, At(Queries[1], count), async () => await cri.ListContainersAsync(new ListContainersRequest(), deadline: Deadline(), cancellationToken: ct));
            var stats = await ctx.TimeAsync(rt, At(Queries[2], count), async () => await cri.ListContainerStatsAsync(new ListContainerStatsRequest(), deadline: Deadline(), cancellationToken: ct));
            if (stats.Stats.Count < count) throw new InvalidOperationException($"ListContainerStats shows {stats.Stats.Count} containers, expected {count}");
            var id = pods[i % pods.Count].ContainerId;
            await ctx.TimeAsync(rt, At(Queries[3], count), async () => await cri.ContainerStatsAsync(new ContainerStatsRequest { ContainerId = id }, deadline: Deadline(), cancellationToken: ct));
        }
    }
}
