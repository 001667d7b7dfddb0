using System.Diagnostics;
using CriShim.Bench.Infra;
using CriShim.Bench.Kubelet;
using CriShim.Bench.Runtimes;
using Runtime.V1;

namespace CriShim.Bench.Workloads;

/// <summary>A pod's whole life, one call at a time, as kubelet drives it: every CRI call timed.</summary>
sealed class LifecycleWorkload : Workload
{
    public static readonly string[] Operations =
    [
        "RunPodSandbox", "PullImage (cached)", "CreateContainer", "StartContainer", "ExecSync (true)",
        "StopContainer", "RemoveContainer", "StopPodSandbox", "RemovePodSandbox",
    ];
    public const string CreateAndStart = "CreateContainer+StartContainer";

    public override string Title => "Pod lifecycle";

    public override int Steps(BenchSettings settings, int runtimes) => settings.LifecycleIterations * runtimes;

    public override async Task RunAsync(WorkloadContext ctx)
    {
        for (var i = 0; i < ctx.Settings.LifecycleIterations; i++)
            foreach (var rt in ctx.InTurn(i))
            {
                await ctx.StepAsync(rt, Title, () => OneAsync(ctx, rt, i, record: true));
                ctx.Advance($"{rt.Name} iteration {i + 1}");
            }
    }

    /// <summary>One pod's life; unrecorded runs warm the daemon up (JIT, caches) before measuring.</summary>
    public static async Task OneAsync(WorkloadContext ctx, RuntimeUnderTest rt, int i, bool record)
    {
        var ct = ctx.Ct;
        DateTime Deadline() => DateTime.UtcNow.AddMinutes(2);
        var cri = rt.Runtime;
        var pod = PodSpecs.Pod(rt, $"lifecycle-{i}");
        string? podId = null;
        try
        {
            async Task<T> Time<T>(string op, Func<Task<T>> call)
            {
                var sw = Stopwatch.StartNew();
                var r = await call();
                if (record) ctx.Record(rt, op, sw.Elapsed.TotalMilliseconds);
                return r;
            }

            podId = (await Time(Operations[0], async () => await cri.RunPodSandboxAsync(new RunPodSandboxRequest { Config = pod }, deadline: Deadline(), cancellationToken: ct))).PodSandboxId;
            var imageRef = (await Time(Operations[1], async () => await rt.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = LocalRegistry.WorkloadImage }, SandboxConfig = pod }, deadline: Deadline(), cancellationToken: ct))).ImageRef;
            var container = PodSpecs.Container(rt, pod, imageRef);
            var sw = Stopwatch.StartNew();
            var id = (await Time(Operations[2], async () => await cri.CreateContainerAsync(new CreateContainerRequest
            {
                PodSandboxId = podId,
                Config = container,
                SandboxConfig = pod,
            }, deadline: Deadline(), cancellationToken: ct))).ContainerId;
            await Time(Operations[3], async () => await cri.StartContainerAsync(new StartContainerRequest { ContainerId = id }, deadline: Deadline(), cancellationToken: ct));
            if (record) ctx.Record(rt, CreateAndStart, sw.Elapsed.TotalMilliseconds);
            var exec = await Time(Operations[4], async () => await cri.ExecSyncAsync(new ExecSyncRequest { ContainerId = id, Cmd = { "true" }, Timeout = 10 }, deadline: Deadline(), cancellationToken: ct));
            if (exec.ExitCode != 0) throw new InvalidOperationException($"ExecSync true exited {exec.ExitCode}: {exec.Stderr.ToStringUtf8()}");
            await Time(Operations[5], async () => await cri.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = KubeletSpecs.TerminationGracePeriodSeconds }, deadline: Deadline(), cancellationToken: ct));
            await Time(Operations[6], async () => await cri.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id }, deadline: Deadline(), cancellationToken: ct));
            await Time(Operations[7], async () => await cri.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = podId }, deadline: Deadline(), cancellationToken: ct));
            await Time(Operations[8], async () => await cri.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = podId }, deadline: Deadline(), cancellationToken: ct));
            podId = null;
        }
        finally
        {
            if (podId is not null) // a step failed: leave nothing behind for the next workload
                await PodCleaner.RemovePodsAsync(cri, [podId], TimeSpan.FromSeconds(60)).ContinueWith(_ => { });
        }
    }
}
