using CriShim.Stores;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>Builds CRI messages from stored records: the one place that knows both shapes.</summary>
public static class RecordMapping
{
    public static long UnixNanos(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    /// <summary>The stored config, parsed once per record; treat it as read-only (Clone() before changing it).</summary>
    public static PodSandboxConfig PodConfig(this PodRecord pod) => pod.ParsedConfig;
    public static ContainerConfig ContainerConfig(this ContainerRecord c) => c.ParsedConfig;

    public static PodSandboxState CriState(this PodRecord pod) =>
        pod.State == PodState.Ready ? PodSandboxState.SandboxReady : PodSandboxState.SandboxNotready;

    public static ContainerState CriState(this ContainerRecord c) => c.State switch
    {
        ContainerRunState.Created => ContainerState.ContainerCreated,
        ContainerRunState.Running => ContainerState.ContainerRunning,
        ContainerRunState.Exited => ContainerState.ContainerExited,
        _ => ContainerState.ContainerUnknown,
    };

    public static PodSandbox ToCri(this PodRecord pod)
    {
        var config = pod.PodConfig();
        return new PodSandbox
        {
            Id = pod.Id, Metadata = config.Metadata, State = pod.CriState(),
            CreatedAt = UnixNanos(pod.CreatedAt), RuntimeHandler = pod.RuntimeHandler,
            Labels = { config.Labels }, Annotations = { config.Annotations },
        };
    }

    public static PodSandboxAttributes ToCriAttributes(this PodRecord pod)
    {
        var config = pod.PodConfig();
        return new PodSandboxAttributes { Id = pod.Id, Metadata = config.Metadata, Labels = { config.Labels }, Annotations = { config.Annotations } };
    }

    public static PodSandboxStatus ToCriStatus(this PodRecord pod)
    {
        var config = pod.PodConfig();
        return new PodSandboxStatus
        {
            Id = pod.Id, Metadata = config.Metadata, State = pod.CriState(),
            CreatedAt = UnixNanos(pod.CreatedAt), RuntimeHandler = pod.RuntimeHandler,
            Network = new PodSandboxNetworkStatus { Ip = pod.Ip ?? "", AdditionalIps = { pod.AdditionalIps.Select(ip => new PodIP { Ip = ip }) } },
            Linux = new LinuxPodSandboxStatus { Namespaces = new Namespace { Options = config.Linux?.SecurityContext?.NamespaceOptions ?? new NamespaceOption() } },
            Labels = { config.Labels }, Annotations = { config.Annotations },
        };
    }

    public static Container ToCri(this ContainerRecord c)
    {
        var config = c.ContainerConfig();
        return new Container
        {
            Id = c.Id, PodSandboxId = c.PodId, Metadata = config.Metadata,
            Image = new ImageSpec { Image = c.ImageId, UserSpecifiedImage = c.ImageRef },
            ImageRef = ImageRefOf(c), ImageId = c.ImageId, State = c.CriState(), CreatedAt = UnixNanos(c.CreatedAt),
            Labels = { config.Labels }, Annotations = { config.Annotations },
        };
    }

    public static ContainerAttributes ToCriAttributes(this ContainerRecord c)
    {
        var config = c.ContainerConfig();
        return new ContainerAttributes { Id = c.Id, Metadata = config.Metadata, Labels = { config.Labels }, Annotations = { config.Annotations } };
    }

    public static ContainerStatus ToCriStatus(this ContainerRecord c)
    {
        var config = c.ContainerConfig();
        return new ContainerStatus
        {
            Id = c.Id, Metadata = config.Metadata, State = c.CriState(),
            CreatedAt = UnixNanos(c.CreatedAt),
            StartedAt = c.StartedAt is { } s ? UnixNanos(s) : 0,
            FinishedAt = c.FinishedAt is { } f ? UnixNanos(f) : 0,
            ExitCode = c.ExitCode,
            Image = new ImageSpec { Image = c.ImageRef, UserSpecifiedImage = c.ImageRef },
            ImageRef = ImageRefOf(c), ImageId = c.ImageId,
            Reason = c.Reason, Message = c.Message, LogPath = c.LogPath,
            Resources = new ContainerResources { Linux = config.Linux?.Resources ?? new LinuxContainerResources() },
            Labels = { config.Labels }, Annotations = { config.Annotations }, Mounts = { config.Mounts },
        };
    }

    /// <summary>The repo digest when the image was pulled by one, else the image ID, as containerd answers.</summary>
    static string ImageRefOf(ContainerRecord c) => string.IsNullOrEmpty(c.ImageRepoDigest) ? c.ImageId : c.ImageRepoDigest;

    public static bool MatchesLabels(IDictionary<string, string> labels, IDictionary<string, string> selector) =>
        selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
