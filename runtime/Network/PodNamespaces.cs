namespace CriShim.Oci.Network;

/// <summary>Bind-mounted namespace files of one pod (null when that namespace was not requested, e.g. host network).
/// Put them into config.json as linux.namespaces[].path.</summary>
public sealed record PodNamespaces(string? NetNs, string? IpcNs, string? UtsNs, string? UserNs = null);

/// <summary>Which namespaces to create for a pod, and what to set inside them.</summary>
public sealed record PodNamespaceRequest
{
    public bool Network { get; init; } = true;
    public bool Ipc { get; init; } = true;
    public bool Uts { get; init; } = true;
    /// <summary>Bring `lo` up in the new network namespace; false when the caller's CNI ADD does it (its loopback
    /// plugin), which saves a process here.</summary>
    public bool LoopbackUp { get; init; } = true;
    /// <summary>Hostname set in the new UTS namespace.</summary>
    public string? Hostname { get; init; }
    /// <summary>Namespaced sysctls ("net.ipv4.ip_forward" or "net/ipv4/ip_forward" → value): net.* go to the network
    /// namespace, kernel.shm*/kernel.msg*/kernel.sem/fs.mqueue.* to the IPC namespace.</summary>
    public IReadOnlyDictionary<string, string> Sysctls { get; init; } = new Dictionary<string, string>();
    /// <summary>A user namespace with these mappings that owns the other namespaces; null for the host's.</summary>
    public UserNamespaceMappings? User { get; init; }
}

/// <summary>The uid and gid mappings of a pod's user namespace (validated by <see cref="Specs.IdMaps.Validate"/>).</summary>
public sealed record UserNamespaceMappings(IReadOnlyList<Specs.Model.IdMapping> Uids, IReadOnlyList<Specs.Model.IdMapping> Gids);
