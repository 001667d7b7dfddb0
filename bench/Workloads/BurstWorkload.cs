using System.Diagnostics;
using CriShim.Bench.Runtimes;

namespace CriShim.Bench.Workloads;

/// <summary>N pods with one container each, all created at once: wall time until every container runs.</summary>
sealed class BurstWorkload : Workload
{
    public static string Metric(int pods) => $"burst-{pods}";

    public override string Title => "Burst";

    public override int Steps(BenchSettings settings, int runtimes) => settings.BurstSizes.Count * settings.BurstRounds * runtimes;

    public override async Task RunAsync(WorkloadContext ctx)
    {
        foreach (var size in ctx.Settings.BurstSizes)
            for (var round = 0; round < ctx.Settings.BurstRounds; round++)
                foreach (var rt in ctx.InTurn(round))
                {
                    await ctx.StepAsync(rt, $"{Title} of {size}", () => OneAsync(ctx, rt, size));
                    ctx.Advance($"{rt.Name}: {size} pods, round {round + 1}");
                }
    }

    static async Task OneAsync(WorkloadContext ctx, RuntimeUnderTest rt, int size)
    {
        var started = new List<string>();
        var sw = Stopwatch.StartNew();
        var runs = Enumerable.Range(0, size)
            .Select(i => PodSpecs.RunPodWithContainerAsync(rt, $"burst-{size}-{i}", ctx.Ct))
            .ToList();
        try
        {
            await Task.WhenAll(runs);
            ctx.Record(rt, Metric(size), sw.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var r in runs) await r.ContinueWith(_ => { });
            var pods = runs.Where(r => r.IsCompletedSuccessfully).Select(r => r.Result.PodId).ToList();
            // a failed pod may have left a half-made sandbox: clear whatever the runtime lists
            if (pods.Count < size) await PodCleaner.RemoveAllPodsAsync(rt.Runtime, TimeSpan.FromMinutes(3));
            else await PodCleaner.RemovePodsAsync(rt.Runtime, pods, TimeSpan.FromMinutes(3));
        }
    }
}
