using System.Diagnostics;
using CriShim.Bench.Infra;
using CriShim.Bench.Runtimes;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Bench.Workloads;

/// <summary>Cold pulls from the loopback registry: the 3-layer image alone, then 5 of it at once; the 6-layer ~50 MB
/// image alone (issue #13: many layers fetched, verified and unpacked).</summary>
sealed class ImageWorkload : Workload
{
    public const string Cold = "cold pull (3 layers)";
    public const string Concurrent = "5 concurrent pulls";
    public const string ColdSixLayers = "cold pull (6 layers, 50 MB)";
    const int Concurrency = 5;

    public override string Title => "Image pull";

    public override int Steps(BenchSettings settings, int runtimes) => settings.ImageRounds * runtimes;

    public override async Task RunAsync(WorkloadContext ctx)
    {
        for (var round = 0; round < ctx.Settings.ImageRounds; round++)
            foreach (var rt in ctx.InTurn(round))
            {
                await ctx.StepAsync(rt, Title, () => OneAsync(ctx, rt));
                ctx.Advance($"{rt.Name}: round {round + 1}");
            }
    }

    static async Task OneAsync(WorkloadContext ctx, RuntimeUnderTest rt)
    {
        var image = new ImageSpec { Image = LocalRegistry.ThreeLayerImage };
        await RemoveAsync(rt, image, ctx.Ct);
        await ctx.TimeAsync(rt, Cold, () => PullAsync(rt, image, ctx.Ct));
        await RemoveAsync(rt, image, ctx.Ct);
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => PullAsync(rt, image, ctx.Ct)));
        ctx.Record(rt, Concurrent, sw.Elapsed.TotalMilliseconds);
        await RemoveAsync(rt, image, ctx.Ct);

        var six = new ImageSpec { Image = LocalRegistry.SixLayerImage };
        await RemoveAsync(rt, six, ctx.Ct);
        await ctx.TimeAsync(rt, ColdSixLayers, () => PullAsync(rt, six, ctx.Ct));
        await RemoveAsync(rt, six, ctx.Ct);
    }

    static async Task<string> PullAsync(RuntimeUnderTest rt, ImageSpec image, CancellationToken ct) =>
        (await rt.Images.PullImageAsync(new PullImageRequest { Image = image }, deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: ct)).ImageRef;

    static async Task RemoveAsync(RuntimeUnderTest rt, ImageSpec image, CancellationToken ct)
    {
        try { await rt.Images.RemoveImageAsync(new RemoveImageRequest { Image = image }, deadline: DateTime.UtcNow.AddMinutes(1), cancellationToken: ct); }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound) { }
    }
}
