using System.Diagnostics;
using CriShim.Bench.Infra;
using CriShim.Bench.Kubelet;
using CriShim.Bench.Runtimes;
using CriShim.Bench.Workloads;

namespace CriShim.Bench.Crictl;

/// <summary>
/// The pod lifecycle of <see cref="LifecycleWorkload"/> through crictl: a process per CRI call (connect, Version,
/// the call), with the same kubelet-shaped pod and container configs as JSON files.
/// </summary>
sealed class CrictlLifecycleWorkload(CrictlLookup crictl) : Workload
{
    /// <summary>Row label and metric per crictl command, in lifecycle order.</summary>
    public static readonly (string Label, string Metric)[] Operations =
    [
        ("RunPodSandbox (`crictl runp`)", "crictl runp"),
        ("PullImage, cached (`crictl pull`)", "crictl pull"),
        ("CreateContainer (`crictl create`)", "crictl create"),
        ("StartContainer (`crictl start`)", "crictl start"),
        ("ExecSync true (`crictl exec -s`)", "crictl exec -s"),
        ("Exec true, streamed (`crictl exec`)", "crictl exec"),
        ("StopContainer (`crictl stop`)", "crictl stop"),
        ("RemoveContainer (`crictl rm`)", "crictl rm"),
        ("StopPodSandbox (`crictl stopp`)", "crictl stopp"),
        ("RemovePodSandbox (`crictl rmp`)", "crictl rmp"),
    ];
    public const string CreateAndStart = "crictl create+start";
    const int WarmUps = 1;

    public override string Title => "Pod lifecycle (crictl)";

    public override int Steps(BenchSettings settings, int runtimes) => crictl.Path is null ? 1 : (settings.CrictlIterations + WarmUps) * runtimes;

    public override async Task RunAsync(WorkloadContext ctx)
    {
        if (crictl.Path is null) { ctx.Advance("not measured: crictl not found"); return; }
        var clients = ctx.Runtimes.ToDictionary(rt => rt.Key, rt => new CrictlClient(crictl.Path, rt.Socket, Path.Combine(rt.BaseDir, "crictl.yaml")));
        for (var i = -WarmUps; i < ctx.Settings.CrictlIterations; i++)
            foreach (var rt in ctx.InTurn(i + WarmUps))
            {
                var record = i >= 0;
                await ctx.StepAsync(rt, Title, () => OneAsync(ctx, rt, clients[rt.Key], i + WarmUps, record));
                ctx.Advance($"{rt.Name} iteration {i + WarmUps + 1}{(record ? "" : " (warm-up)")}");
            }
    }

    static async Task OneAsync(WorkloadContext ctx, RuntimeUnderTest rt, CrictlClient crictl, int i, bool record)
    {
        var ct = ctx.Ct;
        var dir = Path.Combine(rt.BaseDir, "crictl", $"{i}");
        Directory.CreateDirectory(dir);
        var pod = PodSpecs.Pod(rt, $"crictl-{i}");
        var podJson = Path.Combine(dir, "pod.json");
        var ctrJson = Path.Combine(dir, "container.json");
        await File.WriteAllTextAsync(podJson, CrictlJson.Write(pod), ct);
        string? podId = null;
        try
        {
            async Task<string> Time(int op, params string[] args)
            {
                var sw = Stopwatch.StartNew();
                var output = await crictl.RunAsync(ct, args);
                if (record) ctx.Record(rt, Operations[op].Metric, sw.Elapsed.TotalMilliseconds);
                return output;
            }

            podId = await Time(0, "runp", podJson);
            // "Image is up to date for sha256:…": kubelet, and so this config, names the image by that ID
            var imageRef = (await Time(1, "pull", "--pod-config", podJson, LocalRegistry.WorkloadImage)).Split(' ').Last();
            await File.WriteAllTextAsync(ctrJson, CrictlJson.Write(PodSpecs.Container(rt, pod, imageRef)), ct);
            var sw = Stopwatch.StartNew();
            var id = await Time(2, "create", podId, ctrJson, podJson);
            await Time(3, "start", id);
            if (record) ctx.Record(rt, CreateAndStart, sw.Elapsed.TotalMilliseconds);
            await Time(4, "exec", "-s", "--timeout", "10", id, "true");
            await Time(5, "exec", id, "true");
            await Time(6, "stop", "--timeout", $"{KubeletSpecs.TerminationGracePeriodSeconds}", id);
            await Time(7, "rm", id);
            await Time(8, "stopp", podId);
            await Time(9, "rmp", podId);
            podId = null;
        }
        finally
        {
            if (podId is not null) // a call failed: leave nothing behind for the next workload
                await PodCleaner.RemovePodsAsync(rt.Runtime, [podId], TimeSpan.FromSeconds(60)).ContinueWith(_ => { });
        }
    }
}
