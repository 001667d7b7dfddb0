namespace CriShim.Oci.Cgroups;

/// <summary>A container's usage for ContainerStats: cgroup figures, the CPU rate since the last call, and its writable layer.</summary>
/// <param name="Cgroup">The cgroup sample.</param>
/// <param name="UsageNanoCores">CPU rate since the previous call for this container; null on the first call.</param>
/// <param name="WritableLayer">Usage of the writable layer directory, when one was given and exists.</param>
public sealed record ContainerUsage(CgroupStats Cgroup, ulong? UsageNanoCores, FilesystemUsage? WritableLayer);
