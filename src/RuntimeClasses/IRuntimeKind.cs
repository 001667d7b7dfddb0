using CriShim.Oci.Cgroups;
using CriShim.Oci.Specs.Model;
using CriShim.Stores;

namespace CriShim.RuntimeClasses;

/// <summary>When a pod's infra container (the static pause) runs, relative to the pod's network set-up.</summary>
public enum InfraStart
{
    /// <summary>The pod needs no infra process.</summary>
    None,
    /// <summary>Started before CNI runs: it only holds the pod's PID namespace.</summary>
    BeforeNetwork,
    /// <summary>Started once the network is there: it is the pod (a sandbox takes over the namespace's interfaces).</summary>
    AfterNetwork,
}

/// <summary>
/// How a runtime handler maps CRI pods and containers onto its OCI runtime: one implementation per kind, as CRI-O's
/// RuntimeImpl (runtime_oci.go, runtime_vm.go). The managers, stats and streaming ask the pod's kind instead of
/// branching on it. A new kind is one class implementing this plus its line in <see cref="RuntimeKinds"/>.
/// </summary>
public interface IRuntimeKind
{
    /// <summary>The kind's name in the "runtimes" config ("oci", "sandboxed").</summary>
    string Name { get; }

    /// <summary>The command the daemon and conmon run for this handler: the binary itself, or a shim before it
    /// (written below <paramref name="shimDir"/>). Host workarounds it applies go to <paramref name="notes"/>.</summary>
    string PrepareCommand(string binary, string shimDir, List<string> notes);

    /// <summary>Whether pods may ask for a user namespace (namespace_options.userns_options mode POD).</summary>
    bool SupportsUserNamespaces { get; }

    /// <summary>Whether and when a pod gets an infra container; <paramref name="sharedPidNamespace"/> is the pod's PID mode POD.</summary>
    InfraStart Infra(bool sharedPidNamespace);

    /// <summary>What the runtime needs changed in a spec CriShim wrote for runc (infra and containers alike).</summary>
    Spec AdjustSpec(Spec spec);

    /// <summary>Whether a container joins the PID namespace of its pod's infra process, given the pod's PID mode POD.</summary>
    bool JoinsPodPidNamespace(bool sharedPidNamespace);

    /// <summary>Whether a container's PID mode TARGET (another container's PID namespace) means anything here.</summary>
    bool HonoursTargetPidNamespace { get; }

    /// <summary>A running container's usage, its runtime cgroup being <paramref name="cgroupsPath"/>.</summary>
    Task<CgroupStats?> ContainerUsageAsync(RuntimeClass handler, string containerId, string cgroupsPath, CgroupStatsReader cgroups, CancellationToken ct);

    /// <summary>A pod's usage when kubelet gave it no cgroup of its own; <paramref name="memberIds"/> are its created containers.</summary>
    CgroupStats? PodUsage(PodRecord pod, IEnumerable<string> memberIds, CgroupStatsReader cgroups);

    /// <summary>The cgroup the runtime may leave behind for <paramref name="id"/> (a container, or the pod's own ID
    /// for its infra) and the daemon removes at teardown; null when the runtime removes its own.</summary>
    string? LeftoverCgroup(PodRecord pod, string id);

    /// <summary>The address port-forward dials inside the pod's network namespace; null for the loopback (localhost).</summary>
    System.Net.IPAddress? DialAddress(PodRecord pod);
}

/// <summary>The runtime kinds a "runtimes" config entry can name. Registering a kind is one line here.</summary>
public static class RuntimeKinds
{
    public static readonly IRuntimeKind Oci = new OciRuntimeKind();
    public static readonly IRuntimeKind Sandboxed = new SandboxedRuntimeKind();

    static readonly Dictionary<string, IRuntimeKind> ByName = new[] { Oci, Sandboxed }.ToDictionary(k => k.Name, StringComparer.OrdinalIgnoreCase);

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    /// <summary>The kind a config names ("" is "oci"), or null when there is none by that name.</summary>
    public static IRuntimeKind? Find(string name) => string.IsNullOrEmpty(name) ? Oci : ByName.GetValueOrDefault(name);
}
