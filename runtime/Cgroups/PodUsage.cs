namespace CriShim.Oci.Cgroups;

/// <summary>A pod's usage for PodSandboxStats: its parent cgroup and its network namespace.</summary>
/// <param name="Cgroup">The pod cgroup sample; null when the pod cgroup does not exist.</param>
/// <param name="UsageNanoCores">CPU rate since the previous call for this pod; null on the first call.</param>
/// <param name="Network">Interfaces of the pod network namespace; null without one (host network) or when it is gone.</param>
public sealed record PodUsage(CgroupStats? Cgroup, ulong? UsageNanoCores, NetworkStats? Network);
