namespace CriShim.Oci.Specs;

/// <summary>Everything needed to build a container's config.json, in plain types (no protobuf).</summary>
public sealed record ContainerSpecInput
{
    public required string ContainerId { get; init; }
    public required string ContainerName { get; init; }
    public required string SandboxId { get; init; }
    public string SandboxName { get; init; } = "";
    public string SandboxNamespace { get; init; } = "";
    public string SandboxUid { get; init; } = "";
    public string ImageName { get; init; } = "";

    /// <summary>The mounted (overlay) rootfs directory; user names are resolved against its /etc files.</summary>
    public required string RootfsPath { get; init; }
    public ImageDefaults Image { get; init; } = ImageDefaults.None;

    /// <summary>CRI command: replaces the image entrypoint (and drops the image cmd).</summary>
    public IReadOnlyList<string> Command { get; init; } = [];
    /// <summary>CRI args: replace the image cmd.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];
    public string? WorkingDir { get; init; }
    /// <summary>CRI envs, overriding image env by key.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = [];
    public bool Tty { get; init; }
    public bool Stdin { get; init; }

    /// <summary>The container's hostname (the pod's); ignored when the UTS namespace is the host's.</summary>
    public string? Hostname { get; init; }
    public IReadOnlyList<MountInput> Mounts { get; init; } = [];
    public IReadOnlyList<DeviceInput> Devices { get; init; } = [];
    public PodFilePaths? PodFiles { get; init; }
    public NamespacesInput Namespaces { get; init; } = new();
    public SecurityInput Security { get; init; } = new();
    public ResourcesInput Resources { get; init; } = new();
    public IReadOnlyDictionary<string, string> Sysctls { get; init; } = new Dictionary<string, string>();
    public string? CgroupsPath { get; init; }
    /// <summary>Extra annotations copied into the spec (the io.kubernetes.cri.* ones are always added).</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
}

public enum MountPropagation { Private, HostToContainer, Bidirectional }

/// <summary>A CRI bind mount request.</summary>
public sealed record MountInput(string ContainerPath, string HostPath, bool Readonly = false,
    MountPropagation Propagation = MountPropagation.Private);

/// <summary>A host device to expose; permissions are a subset of "rwm" (empty = rwm).</summary>
public sealed record DeviceInput(string ContainerPath, string HostPath, string Permissions = "rwm");

/// <summary>The pod-level files bind-mounted into every container (null members are not mounted).</summary>
public sealed record PodFilePaths(string? Hostname = null, string? Hosts = null, string? ResolvConf = null, string? Shm = null);

public enum NamespaceMode
{
    /// <summary>A fresh namespace for this container.</summary>
    New,
    /// <summary>Join an existing namespace by its path (pinned pod namespace or /proc/PID/ns/...).</summary>
    Path,
    /// <summary>The host's namespace: the namespace is left out of the spec.</summary>
    Host,
}

public sealed record NamespaceRef(NamespaceMode Mode, string? Path = null)
{
    public static NamespaceRef New { get; } = new(NamespaceMode.New);
    public static NamespaceRef Host { get; } = new(NamespaceMode.Host);
    public static NamespaceRef Join(string path) => new(NamespaceMode.Path, path);
}

/// <summary>Network, IPC and UTS come from the pod (path) or the host; PID may also be the container's own.</summary>
public sealed record NamespacesInput
{
    public NamespaceRef Network { get; init; } = NamespaceRef.New;
    public NamespaceRef Ipc { get; init; } = NamespaceRef.New;
    public NamespaceRef Uts { get; init; } = NamespaceRef.New;
    public NamespaceRef Pid { get; init; } = NamespaceRef.New;
    /// <summary>The pod's pinned user namespace, or null for the host's.</summary>
    public UserNamespaceInput? User { get; init; }
}

/// <summary>
/// A pinned user namespace joined by path. runc still wants its ID mappings in the spec (it needs the host IDs of
/// container root for /dev and the like) but writes no maps when joining.
/// </summary>
public sealed record UserNamespaceInput(string Path, IReadOnlyList<Model.IdMapping> Uids, IReadOnlyList<Model.IdMapping> Gids);

public enum SeccompKind { RuntimeDefault, Unconfined, Localhost }

/// <summary>A seccomp choice; Localhost carries the absolute path of a JSON profile.</summary>
public sealed record SeccompInput(SeccompKind Kind, string? LocalhostPath = null)
{
    public static SeccompInput RuntimeDefault { get; } = new(SeccompKind.RuntimeDefault);
    public static SeccompInput Unconfined { get; } = new(SeccompKind.Unconfined);
}

public sealed record SecurityInput
{
    public bool Privileged { get; init; }
    public IReadOnlyList<string> AddCapabilities { get; init; } = [];
    public IReadOnlyList<string> DropCapabilities { get; init; } = [];
    public IReadOnlyList<string> AddAmbientCapabilities { get; init; } = [];
    public long? RunAsUser { get; init; }
    public long? RunAsGroup { get; init; }
    public string? RunAsUsername { get; init; }
    public IReadOnlyList<long> SupplementalGroups { get; init; } = [];
    public bool ReadonlyRootfs { get; init; }
    public bool NoNewPrivileges { get; init; }
    /// <summary>Null = the defaults; empty = none.</summary>
    public IReadOnlyList<string>? MaskedPaths { get; init; }
    /// <summary>Null = the defaults; empty = none.</summary>
    public IReadOnlyList<string>? ReadonlyPaths { get; init; }
    public SeccompInput Seccomp { get; init; } = SeccompInput.RuntimeDefault;
    /// <summary>An AppArmor profile name to apply as is; null = none.</summary>
    public string? ApparmorProfile { get; init; }
}

/// <summary>CRI resources; zero/null means "not set".</summary>
public sealed record ResourcesInput
{
    public long CpuPeriod { get; init; }
    public long CpuQuota { get; init; }
    public long CpuShares { get; init; }
    public long MemoryLimitBytes { get; init; }
    public long MemorySwapLimitBytes { get; init; }
    public long OomScoreAdj { get; init; }
    public string? CpusetCpus { get; init; }
    public string? CpusetMems { get; init; }
    public IReadOnlyList<HugepageInput> Hugepages { get; init; } = [];
    public long? PidsLimit { get; init; }
}

public sealed record HugepageInput(string PageSize, ulong Limit);
