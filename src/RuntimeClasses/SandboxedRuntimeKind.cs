using CriShim.Oci.Cgroups;
using CriShim.Oci.Specs.Model;
using CriShim.Stores;

namespace CriShim.RuntimeClasses;

/// <summary>
/// The pod is one sandbox with its own kernel, whose first container is the infra; the others join it (gVisor's
/// runsc, behind <see cref="SandboxShim"/>). The sandbox counts its containers' usage itself, serves the pod IP from
/// its own network stack, and may leave cgroups behind when a create fails.
/// </summary>
public sealed class SandboxedRuntimeKind : IRuntimeKind
{
    public string Name => "sandboxed";

    /// <summary>The runtime runs behind the shim, for conmon and for the daemon's own calls alike.</summary>
    public string PrepareCommand(string binary, string shimDir, List<string> notes)
    {
        var hide = HostChecks.NetnsShowsRootOnlySysctl();
        if (hide) notes.Add("pod network namespaces show /proc/sys/net/core/rmem_default (kernel 6.x), which runsc takes for the host's namespace: create/start run with /proc/sys/net hidden");
        return SandboxShim.Write(shimDir, binary, hide);
    }

    /// <summary>The sandbox has its own kernel: the host's user namespace means nothing there.</summary>
    public bool SupportsUserNamespaces => false;

    /// <summary>A sandbox is the pod itself: always an infra, started once the network is there (runsc moves the
    /// namespace's interfaces into the sandbox when it starts).</summary>
    public InfraStart Infra(bool sharedPidNamespace) => InfraStart.AfterNetwork;

    public Spec AdjustSpec(Spec spec) => SandboxSpec.Adjust(spec);

    /// <summary>runsc puts containers whose specs name the same PID namespace path in one namespace of its own: named
    /// only when the pod shares one.</summary>
    public bool JoinsPodPidNamespace(bool sharedPidNamespace) => sharedPidNamespace;

    /// <summary>In the sandbox's kernel a target's host PID namespace means nothing.</summary>
    public bool HonoursTargetPidNamespace => false;

    /// <summary>The workload runs in the sandbox process: its kernel counts per container.</summary>
    public Task<CgroupStats?> ContainerUsageAsync(RuntimeClass handler, string containerId, string cgroupsPath, CgroupStatsReader cgroups, CancellationToken ct) =>
        SandboxStats.ReadAsync(handler, containerId, ct);

    /// <summary>The sandbox's own cgroup (its infra's) holds the sandbox process, so the whole pod.</summary>
    public CgroupStats? PodUsage(PodRecord pod, IEnumerable<string> memberIds, CgroupStatsReader cgroups) =>
        cgroups.Read(CgroupNaming.For(pod, pod.Id));

    /// <summary>runsc leaves a container's (and the sandbox's) cgroup behind when its create failed.</summary>
    public string? LeftoverCgroup(PodRecord pod, string id) => CgroupNaming.For(pod, id);

    /// <summary>A sandbox on the pod network serves the pod IP from its own stack: dial that, from the namespace.</summary>
    public System.Net.IPAddress? DialAddress(PodRecord pod) =>
        pod.NetNsPath is not null && System.Net.IPAddress.TryParse(pod.Ip, out var ip) ? ip : null;
}
