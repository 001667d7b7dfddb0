using CriShim.Bench.Kubelet;
using CriShim.Bench.Runtimes;
using Runtime.V1;

namespace CriShim.Bench.Workloads;

/// <summary>The workloads' pods: kubelet-shaped (<see cref="KubeletSpecs"/>), the same for both runtimes but for paths and cgroups.</summary>
static class PodSpecs
{
    public const string ContainerName = "work";

    /// <summary>A new pod's config, with the host files kubelet makes before RunPodSandbox.</summary>
    public static PodSandboxConfig Pod(RuntimeUnderTest rt, string name)
    {
        var pod = KubeletSpecs.Pod(rt.Node, name, Guid.NewGuid().ToString(), DateTime.UtcNow);
        KubeletSpecs.WritePodFiles(rt.Node, pod);
        return pod;
    }

    /// <summary>The pod's container running <paramref name="imageRef"/> (the ID PullImage returned), with its termination log file.</summary>
    public static ContainerConfig Container(RuntimeUnderTest rt, PodSandboxConfig pod, string imageRef, string name = ContainerName)
    {
        var container = KubeletSpecs.Container(rt.Node, pod, name, imageRef, KubeletSpecs.StoppableSleep, Guid.NewGuid().ToString("N")[..8]);
        KubeletSpecs.WriteContainerFiles(container);
        return container;
    }

    /// <summary>RunPodSandbox, CreateContainer, StartContainer: one running pod with one container.</summary>
    public static async Task<(string PodId, string ContainerId)> RunPodWithContainerAsync(RuntimeUnderTest rt, string name, CancellationToken ct)
    {
        var (podId, containerIds) = await RunPodWithContainersAsync(rt, name, 1, ct);
        return (podId, containerIds[0]);
    }

    /// <summary>RunPodSandbox, then CreateContainer and StartContainer for each of <paramref name="containers"/>
    /// containers in turn (as kubelet starts a pod's containers): "work", "work-1", "work-2"...</summary>
    public static async Task<(string PodId, IReadOnlyList<string> ContainerIds)> RunPodWithContainersAsync(RuntimeUnderTest rt, string name, int containers, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        var pod = Pod(rt, name);
        var run = await rt.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = pod }, deadline: deadline, cancellationToken: ct);
        var ids = new List<string>();
        for (var i = 0; i < containers; i++)
        {
            var created = await rt.Runtime.CreateContainerAsync(new CreateContainerRequest
            {
                PodSandboxId = run.PodSandboxId,
                Config = Container(rt, pod, rt.WorkloadImageRef, i == 0 ? ContainerName : $"{ContainerName}-{i}"),
                SandboxConfig = pod,
            }, deadline: deadline, cancellationToken: ct);
            await rt.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = created.ContainerId }, deadline: deadline, cancellationToken: ct);
            ids.Add(created.ContainerId);
        }
        return (run.PodSandboxId, ids);
    }
}
