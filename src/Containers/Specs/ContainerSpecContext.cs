using CriShim.Oci.Specs;

namespace CriShim.Containers.Specs;

/// <summary>
/// Pinned pod namespace files (null = not pinned: a host namespace, or none yet). <see cref="Pid"/> is the pod's
/// PID namespace (e.g. /proc/INFRA_PID/ns/pid) used when the pod shares one; <see cref="User"/> the pod's pinned user
/// namespace with its mappings, which every container of the pod joins.
/// </summary>
public sealed record PodNamespacePaths(string? Network = null, string? Ipc = null, string? Uts = null, string? Pid = null,
    UserNamespaceInput? User = null);

/// <summary>What the daemon decided for a container, besides the CRI request: ids, paths, namespaces, cgroup.</summary>
public sealed record ContainerSpecContext
{
    public required string ContainerId { get; init; }
    public required string SandboxId { get; init; }
    /// <summary>The mounted overlay rootfs.</summary>
    public required string RootfsPath { get; init; }
    /// <summary>The resolved image name (defaults to the CRI image reference).</summary>
    public string? ImageName { get; init; }
    public PodFilePaths? PodFiles { get; init; }
    public PodNamespacePaths Namespaces { get; init; } = new();
    /// <summary>PID namespace path of the TARGET container, when namespace_options.pid is TARGET.</summary>
    public string? TargetPidNamespacePath { get; init; }
    public string? CgroupsPath { get; init; }
    /// <summary>Host sources the daemon prepared, by the mount's container path: where image volumes are stacked,
    /// idmapped clones of mapped mounts.</summary>
    public IReadOnlyDictionary<string, string> PreparedMountSources { get; init; } = new Dictionary<string, string>();
}

/// <summary>What the daemon decided for a pod's infra process.</summary>
public sealed record SandboxSpecContext
{
    public required string SandboxId { get; init; }
    public required string RootfsPath { get; init; }
    public required IReadOnlyList<string> Args { get; init; }
    public PodFilePaths? PodFiles { get; init; }
    public PodNamespacePaths Namespaces { get; init; } = new();
    public string? CgroupsPath { get; init; }
}
