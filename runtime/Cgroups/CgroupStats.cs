namespace CriShim.Oci.Cgroups;

/// <summary>
/// One sample of a cgroup's usage (a container or a pod parent). A field is null when the host lacks the
/// controller or the file; see <see cref="CgroupStatsReader"/> for where each value comes from.
/// </summary>
public sealed record CgroupStats
{
    /// <summary>When the sample was taken, Unix nanoseconds (CRI timestamps are int64 ns).</summary>
    public required long TimestampNanos { get; init; }

    /// <summary>Cumulative CPU time of all tasks, core nanoseconds (v1 cpuacct.usage, v2 cpu.stat usage_usec*1000).</summary>
    public ulong? CpuUsageCoreNanoSeconds { get; init; }

    /// <summary>Cumulative user-mode CPU time, nanoseconds.</summary>
    internal ulong? CpuUserNanoSeconds { get; init; }

    /// <summary>Cumulative kernel-mode CPU time, nanoseconds.</summary>
    internal ulong? CpuSystemNanoSeconds { get; init; }

    /// <summary>Total charged memory including page cache (v1 memory.usage_in_bytes, v2 memory.current).</summary>
    public ulong? MemoryUsageBytes { get; init; }

    /// <summary>Usage minus inactive file cache, what the kubelet evicts on (as cAdvisor/containerd compute it).</summary>
    public ulong? MemoryWorkingSetBytes { get; init; }

    /// <summary>Anonymous memory (v1 total_rss, v2 anon).</summary>
    public ulong? MemoryRssBytes { get; init; }

    /// <summary>Cumulative page faults (v1 total_pgfault, v2 pgfault).</summary>
    public ulong? MemoryPageFaults { get; init; }

    /// <summary>Cumulative major page faults (v1 total_pgmajfault, v2 pgmajfault).</summary>
    public ulong? MemoryMajorPageFaults { get; init; }

    /// <summary>Memory limit in bytes; null when unlimited.</summary>
    public ulong? MemoryLimitBytes { get; init; }

    /// <summary>Limit minus working set (never negative); null when there is no limit.</summary>
    public ulong? MemoryAvailableBytes { get; init; }

    /// <summary>Swap in use (v1 total_swap from memory.stat, or memsw usage minus memory usage; v2 memory.swap.current).</summary>
    internal ulong? SwapUsageBytes { get; init; }

    /// <summary>Swap limit in bytes (v1 memsw limit minus memory limit; v2 memory.swap.max); null when unlimited.</summary>
    internal ulong? SwapLimitBytes { get; init; }

    /// <summary>Swap limit minus swap usage (never negative); null when unlimited.</summary>
    internal ulong? SwapAvailableBytes { get; init; }

    /// <summary>CPU pressure (cgroup2 cpu.pressure; on hybrid hosts from the unified side), null without PSI.</summary>
    internal PressureStats? CpuPressure { get; init; }

    /// <summary>Memory pressure (cgroup2 memory.pressure).</summary>
    internal PressureStats? MemoryPressure { get; init; }

    /// <summary>Number of processes killed by the OOM killer in this cgroup (null when the kernel does not count them).</summary>
    internal ulong? OomKillCount { get; init; }

    /// <summary>Number of tasks (pids.current).</summary>
    public ulong? PidsCurrent { get; init; }

    /// <summary>pids.max; null when unlimited ("max").</summary>
    internal ulong? PidsLimit { get; init; }

    /// <summary>The CPU part of the sample for <see cref="NanoCoresCalculator"/>, or null without CPU accounting.</summary>
    public CpuSample? CpuSample =>
        CpuUsageCoreNanoSeconds is { } usage ? new CpuSample(TimestampNanos, usage) : null;
}
