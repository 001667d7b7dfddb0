namespace CriShim.Oci.Specs;

/// <summary>The pod's infra process (holder of the pod's PID namespace, or of all of them): a tiny, locked-down process.</summary>
public sealed record SandboxSpecInput
{
    public required string SandboxId { get; init; }
    public string SandboxName { get; init; } = "";
    public string SandboxNamespace { get; init; } = "";
    public string SandboxUid { get; init; } = "";
    public string? LogDirectory { get; init; }
    public required string RootfsPath { get; init; }
    /// <summary>The infra process command line, e.g. ["/pause"] or ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"].</summary>
    public required IReadOnlyList<string> Args { get; init; }
    public IReadOnlyList<string> Env { get; init; } = [];
    public string? Hostname { get; init; }
    public NamespacesInput Namespaces { get; init; } = new();
    public string? CgroupsPath { get; init; }
    public IReadOnlyDictionary<string, string> Sysctls { get; init; } = new Dictionary<string, string>();
    /// <summary>kubelet asks -998 for the infra container; clamped to the daemon's own value.</summary>
    public long OomScoreAdj { get; init; } = -998;
    public bool ReadonlyRootfs { get; init; } = true;
    public bool Privileged { get; init; }
    public long? RunAsUser { get; init; }
    public long? RunAsGroup { get; init; }
    public SeccompInput Seccomp { get; init; } = SeccompInput.RuntimeDefault;
    public PodFilePaths? PodFiles { get; init; }
}
