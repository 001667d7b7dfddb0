using CriShim.Bench.Infra;
using CriShim.Bench.Runtimes;
using Runtime.V1;

namespace CriShim.Bench.Workloads;

/// <summary>The pod and container configs of the workloads: the same for both runtimes but for paths and cgroups.</summary>
static class PodSpecs
{
    /// <summary>Exits on SIGTERM at once, so StopContainer measures the runtime, not a grace period.</summary>
    public static readonly string[] StoppableSleep = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];
    public static readonly string[] Sleep = ["sleep", "3600"];

    public static PodSandboxConfig Pod(RuntimeUnderTest rt, string name)
    {
        var uid = Guid.NewGuid().ToString();
        var logDir = Path.Combine(rt.PodLogDir, uid);
        var namespaces = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod };
        return new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Uid = uid, Namespace = "crishim-bench", Attempt = 0 },
            Hostname = name,
            LogDirectory = logDir,
            Labels = { ["app"] = "crishim-bench" },
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = $"/{rt.CgroupParent}/pod{uid}",
                SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = namespaces },
            },
        };
    }

    public static ContainerConfig Container(string name, string image, IEnumerable<string> command) => new()
    {
        Metadata = new ContainerMetadata { Name = name, Attempt = 0 },
        Image = new ImageSpec { Image = image },
        Command = { command },
        LogPath = $"{name}.log",
        Linux = new LinuxContainerConfig
        {
            Resources = new LinuxContainerResources { CpuShares = 2, OomScoreAdj = 1000 },
            SecurityContext = new LinuxContainerSecurityContext
            {
                NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod },
            },
        },
    };

    /// <summary>RunPodSandbox, CreateContainer, StartContainer: one running pod with one container.</summary>
    public static async Task<(string PodId, string ContainerId)> RunPodWithContainerAsync(
        RuntimeUnderTest rt, string name, string[] command, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        var pod = Pod(rt, name);
        var run = await rt.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = pod }, deadline: deadline, cancellationToken: ct);
        var created = await rt.Runtime.CreateContainerAsync(new CreateContainerRequest
        {
            PodSandboxId = run.PodSandboxId,
            Config = Container("work", LocalRegistry.WorkloadImage, command),
            SandboxConfig = pod,
        }, deadline: deadline, cancellationToken: ct);
        await rt.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = created.ContainerId }, deadline: deadline, cancellationToken: ct);
        return (run.PodSandboxId, created.ContainerId);
    }
}
