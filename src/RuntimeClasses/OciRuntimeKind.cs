using CriShim.Oci.Cgroups;
using CriShim.Oci.Specs.Model;
using CriShim.Stores;

namespace CriShim.RuntimeClasses;

/// <summary>One runtime container per CRI container in the pod's shared, pinned namespaces (runc, crun). The host
/// kernel counts each container in its own cgroup; the runtime removes its cgroups itself.</summary>
public sealed class OciRuntimeKind : IRuntimeKind
{
    public string Name => "oci";

    public string PrepareCommand(string binary, string shimDir, List<string> notes) => binary;

    /// <summary>OCI handlers join the pod's pinned user namespace, whose idmapped mounts CriShim makes itself.</summary>
    public bool SupportsUserNamespaces => true;

    /// <summary>Namespaces are pinned to files: a pause process only when the pod shares one PID namespace.</summary>
    public InfraStart Infra(bool sharedPidNamespace) => sharedPidNamespace ? InfraStart.BeforeNetwork : InfraStart.None;

    public Spec AdjustSpec(Spec spec) => spec;

    /// <summary>Always asked: a pod without an infra process has none to join.</summary>
    public bool JoinsPodPidNamespace(bool sharedPidNamespace) => true;

    public bool HonoursTargetPidNamespace => true;

    public Task<CgroupStats?> ContainerUsageAsync(RuntimeClass handler, string containerId, string cgroupsPath, CgroupStatsReader cgroups, CancellationToken ct) =>
        Task.FromResult(cgroups.Read(cgroupsPath));

    /// <summary>The sum of its containers' cgroups.</summary>
    public CgroupStats? PodUsage(PodRecord pod, IEnumerable<string> memberIds, CgroupStatsReader cgroups) =>
        Sum(memberIds.Select(id => cgroups.Read(CgroupNaming.For(pod, id))));

    public string? LeftoverCgroup(PodRecord pod, string id) => null;

    public System.Net.IPAddress? DialAddress(PodRecord pod) => null;

    static CgroupStats? Sum(IEnumerable<CgroupStats?> samples)
    {
        var list = samples.OfType<CgroupStats>().ToList();
        if (list.Count == 0) return null;
        static ulong? Add(IEnumerable<ulong?> values) => values.Any(v => v.HasValue) ? values.Aggregate(0UL, (a, v) => a + (v ?? 0)) : null;
        return new CgroupStats
        {
            TimestampNanos = list.Max(s => s.TimestampNanos),
            CpuUsageCoreNanoSeconds = Add(list.Select(s => s.CpuUsageCoreNanoSeconds)),
            MemoryUsageBytes = Add(list.Select(s => s.MemoryUsageBytes)),
            MemoryWorkingSetBytes = Add(list.Select(s => s.MemoryWorkingSetBytes)),
            MemoryRssBytes = Add(list.Select(s => s.MemoryRssBytes)),
            MemoryPageFaults = Add(list.Select(s => s.MemoryPageFaults)),
            MemoryMajorPageFaults = Add(list.Select(s => s.MemoryMajorPageFaults)),
            PidsCurrent = Add(list.Select(s => s.PidsCurrent)),
        };
    }
}
