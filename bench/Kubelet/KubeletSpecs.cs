using System.Globalization;
using Runtime.V1;

namespace CriShim.Bench.Kubelet;

/// <summary>
/// Pod and container configs as kubelet v1.26 builds them for a Burstable pod of one container with requests
/// cpu 100m / memory 64Mi and a memory limit of 128Mi (kuberuntime_sandbox*.go, kuberuntime_container*.go):
/// the fields, labels, annotations, mounts and resources a runtime sees on a real node. bench/README.md lists them.
/// </summary>
static class KubeletSpecs
{
    /// <summary>Exits on SIGTERM at once, as a well-behaved workload does: StopContainer measures the runtime, not a grace period.</summary>
    public static readonly ContainerProcess StoppableSleep = new(["sh", "-c"], ["trap 'exit 0' TERM; sleep 3600 & wait"]);

    public const string PodNamespace = "crishim-bench";
    public const long CpuRequestMilli = 100;
    public const long MemoryRequestBytes = 64L << 20;
    public const long MemoryLimitBytes = 128L << 20;
    public const int TerminationGracePeriodSeconds = 30;
    const long CfsPeriodMicros = 100_000; // kubelet's default cpuCFSQuotaPeriod
    const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";
    const string TerminationLog = "/dev/termination-log";

    // securitycontext.ConvertToRuntimeMaskedPaths / ReadonlyPaths for procMount Default
    static readonly string[] MaskedPaths =
    [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    ];
    static readonly string[] ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <summary>The environment kubelet gives every container: the `kubernetes` service of the default namespace.</summary>
    static readonly (string Key, string Value)[] ServiceEnv =
    [
        ("KUBERNETES_SERVICE_HOST", "10.96.0.1"), ("KUBERNETES_SERVICE_PORT", "443"), ("KUBERNETES_SERVICE_PORT_HTTPS", "443"),
        ("KUBERNETES_PORT", "tcp://10.96.0.1:443"), ("KUBERNETES_PORT_443_TCP", "tcp://10.96.0.1:443"),
        ("KUBERNETES_PORT_443_TCP_PROTO", "tcp"), ("KUBERNETES_PORT_443_TCP_PORT", "443"), ("KUBERNETES_PORT_443_TCP_ADDR", "10.96.0.1"),
    ];

    public static string PodCgroupParent(NodeLayout node, string uid) => $"/{node.CgroupRoot}/kubepods/burstable/pod{uid}";

    /// <summary>kubelet's pod log directory: /var/log/pods/NAMESPACE_NAME_UID.</summary>
    public static string PodLogDirectory(NodeLayout node, string name, string uid) => Path.Combine(node.LogRoot, $"{PodNamespace}_{name}_{uid}");

    /// <summary>/var/lib/kubelet/pods/UID: etc-hosts, volumes, containers/NAME/ID (termination log).</summary>
    public static string PodDirectory(NodeLayout node, string uid) => Path.Combine(node.KubeletRoot, "pods", uid);

    public static PodSandboxConfig Pod(NodeLayout node, string name, string uid, DateTime seen)
    {
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Uid = uid, Namespace = PodNamespace, Attempt = 0 },
            Hostname = name,
            LogDirectory = PodLogDirectory(node, name, uid),
            DnsConfig = new DNSConfig
            {
                Servers = { "10.96.0.10" },
                Searches = { $"{PodNamespace}.svc.cluster.local", "svc.cluster.local", "cluster.local" },
                Options = { "ndots:5" },
            },
            Labels =
            {
                ["app"] = "bench-work",
                ["pod-template-hash"] = "7d9f5c8b64",
                ["io.kubernetes.pod.name"] = name,
                ["io.kubernetes.pod.namespace"] = PodNamespace,
                ["io.kubernetes.pod.uid"] = uid,
            },
            Annotations =
            {
                ["kubernetes.io/config.seen"] = seen.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
                ["kubernetes.io/config.source"] = "api",
            },
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = PodCgroupParent(node, uid),
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    NamespaceOptions = PodNamespaces(),
                    Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault },
                },
                // applySandboxResources: the sum of the containers' requests/limits, and the (empty) pod overhead
                Resources = new LinuxContainerResources
                {
                    CpuPeriod = CfsPeriodMicros,
                    CpuShares = MilliCpuToShares(CpuRequestMilli),
                    MemoryLimitInBytes = MemoryLimitBytes,
                },
                Overhead = new LinuxContainerResources(),
            },
        };
        return config;
    }

    /// <summary>
    /// The container kubelet creates in <paramref name="pod"/>: <paramref name="imageRef"/> is what PullImage
    /// returned (kubelet passes the image ID, not the name); <paramref name="terminationLogId"/> names the
    /// host file behind /dev/termination-log.
    /// </summary>
    public static ContainerConfig Container(NodeLayout node, PodSandboxConfig pod, string name, string imageRef, ContainerProcess process, string terminationLogId)
    {
        var uid = pod.Metadata.Uid;
        var podDir = PodDirectory(node, uid);
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = name, Attempt = 0 },
            Image = new ImageSpec { Image = imageRef },
            Command = { process.Command },
            Args = { process.Args },
            LogPath = Path.Combine(name, "0.log"),
            Labels =
            {
                ["io.kubernetes.container.name"] = name,
                ["io.kubernetes.pod.name"] = pod.Metadata.Name,
                ["io.kubernetes.pod.namespace"] = PodNamespace,
                ["io.kubernetes.pod.uid"] = uid,
            },
            Annotations =
            {
                ["io.kubernetes.container.hash"] = "5f3b0c1e",
                ["io.kubernetes.container.restartCount"] = "0",
                ["io.kubernetes.container.terminationMessagePath"] = TerminationLog,
                ["io.kubernetes.container.terminationMessagePolicy"] = "File",
                ["io.kubernetes.pod.terminationGracePeriod"] = TerminationGracePeriodSeconds.ToString(CultureInfo.InvariantCulture),
            },
            Mounts =
            {
                new Mount { ContainerPath = ServiceAccountDir, HostPath = ServiceAccountHostDir(podDir), Readonly = true },
                new Mount { ContainerPath = "/etc/hosts", HostPath = Path.Combine(podDir, "etc-hosts") },
                new Mount { ContainerPath = TerminationLog, HostPath = Path.Combine(podDir, "containers", name, terminationLogId) },
            },
            Linux = new LinuxContainerConfig
            {
                Resources = new LinuxContainerResources
                {
                    CpuPeriod = CfsPeriodMicros,
                    CpuQuota = 0, // no CPU limit
                    CpuShares = MilliCpuToShares(CpuRequestMilli),
                    MemoryLimitInBytes = MemoryLimitBytes,
                    OomScoreAdj = BurstableOomScoreAdj(MemoryRequestBytes, node.MemoryCapacityBytes),
                    HugepageLimits = { node.HugepageSizes.Select(size => new HugepageLimit { PageSize = size, Limit = 0 }) },
                },
                SecurityContext = new LinuxContainerSecurityContext
                {
                    NamespaceOptions = PodNamespaces(),
                    RunAsUser = new Int64Value { Value = 0 }, // the image's user (busybox: root), as ImageStatus reports it
#pragma warning disable CS0612 // deprecated in CRI, still sent by kubelet 1.26 beside Seccomp
                    SeccompProfilePath = "runtime/default",
#pragma warning restore CS0612
                    Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault },
                    MaskedPaths = { MaskedPaths },
                    ReadonlyPaths = { ReadonlyPaths },
                },
            },
        };
        foreach (var (key, value) in ServiceEnv) config.Envs.Add(new KeyValue { Key = key, Value = Google.Protobuf.ByteString.CopyFromUtf8(value) });
        return config;
    }

    /// <summary>
    /// What kubelet makes on the host before RunPodSandbox and the pod's first CreateContainer: the pod's log
    /// directory, etc-hosts and the service account volume.
    /// </summary>
    public static void WritePodFiles(NodeLayout node, PodSandboxConfig pod)
    {
        var podDir = PodDirectory(node, pod.Metadata.Uid);
        Directory.CreateDirectory(pod.LogDirectory);
        Directory.CreateDirectory(podDir);
        File.WriteAllText(Path.Combine(podDir, "etc-hosts"), "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        var sa = ServiceAccountHostDir(podDir);
        Directory.CreateDirectory(sa);
        File.WriteAllText(Path.Combine(sa, "namespace"), PodNamespace);
        File.WriteAllText(Path.Combine(sa, "token"), "bench-token");
        File.WriteAllText(Path.Combine(sa, "ca.crt"), "");
    }

    /// <summary>The empty file behind the container's /dev/termination-log, which kubelet creates before CreateContainer.</summary>
    public static void WriteContainerFiles(ContainerConfig container)
    {
        var log = container.Mounts.Single(m => m.ContainerPath == TerminationLog).HostPath;
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        File.WriteAllText(log, "");
    }

    static string ServiceAccountHostDir(string podDir) => Path.Combine(podDir, "volumes", "kubernetes.io~projected", "kube-api-access-bench");

    /// <summary>Network and IPC shared by the pod, a PID namespace per container: kubelet's default (no shareProcessNamespace).</summary>
    static NamespaceOption PodNamespaces() => new() { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod };

    /// <summary>cm.MilliCPUToShares: 1024 shares per CPU, at least 2.</summary>
    public static long MilliCpuToShares(long milliCpu) => Math.Max(2, milliCpu * 1024 / 1000);

    /// <summary>qos.GetContainerOOMScoreAdjust for a Burstable container: 1000 - 1000·request/capacity, within [3, 999].</summary>
    public static long BurstableOomScoreAdj(long memoryRequest, long memoryCapacity)
    {
        var adj = 1000 - 1000 * memoryRequest / memoryCapacity;
        return Math.Clamp(adj, 3, 999);
    }
}

/// <summary>A pod spec's `command` (the entrypoint) and `args`, which kubelet passes as Command and Args.</summary>
sealed record ContainerProcess(IReadOnlyList<string> Command, IReadOnlyList<string> Args);
