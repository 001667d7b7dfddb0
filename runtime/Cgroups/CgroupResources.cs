namespace CriShim.Oci.Cgroups;

/// <summary>
/// Linux resources to apply to a live cgroup (the subset of OCI linux.resources the CRI can change).
/// A null field is left unchanged; map CRI's "0 = unset" values to null.
/// </summary>
public sealed record CgroupResources
{
    /// <summary>v1 cpu.shares (2..262144); converted to cpu.weight on v2.</summary>
    public ulong? CpuShares { get; init; }

    /// <summary>CFS quota in microseconds per period; -1 = unlimited.</summary>
    public long? CpuQuota { get; init; }

    /// <summary>CFS period in microseconds.</summary>
    public ulong? CpuPeriod { get; init; }

    /// <summary>cpuset.cpus list, e.g. "0-1".</summary>
    public string? CpusetCpus { get; init; }

    /// <summary>cpuset.mems list, e.g. "0".</summary>
    public string? CpusetMems { get; init; }

    /// <summary>Memory limit in bytes; -1 = unlimited.</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Memory plus swap limit in bytes (OCI memory.swap semantics); -1 = unlimited. Only where swap accounting exists.</summary>
    public long? MemorySwapLimitBytes { get; init; }

    /// <summary>Maximum number of tasks; 0 or less = unlimited.</summary>
    public long? PidsLimit { get; init; }

    /// <summary>Hugepage size as the kernel names it ("2MB", "1GB") to limit in bytes; applied where the files exist.</summary>
    public IReadOnlyDictionary<string, ulong>? HugepageLimits { get; init; }

    /// <summary>Raw cgroup2 files to write (CRI "unified"), e.g. memory.high; ignored when the file does not exist.</summary>
    public IReadOnlyDictionary<string, string>? Unified { get; init; }
}
