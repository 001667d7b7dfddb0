namespace CriShim.Oci.Cgroups;

/// <summary>
/// Reads a cgroup's CPU, memory and pids usage from cgroupfs on v1, hybrid and v2 hosts.
/// Memory working set follows cAdvisor/containerd: usage minus inactive file cache.
/// </summary>
public sealed class CgroupStatsReader(CgroupLayout layout, TimeProvider? timeProvider = null)
{
    private const ulong NanosPerMicro = 1_000;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public CgroupLayout Layout => layout;

    /// <summary>Reads a sample, or returns null when the cgroup exists in no hierarchy (container gone, never created).</summary>
    public CgroupStats? Read(string cgroupsPath)
    {
        var paths = layout.Resolve(cgroupsPath);
        if (!paths.Exists)
            return null;
        var timestamp = UnixNanos(_time.GetUtcNow());
        return layout.Mode == CgroupMode.V2 ? ReadV2(paths, timestamp) : ReadV1(paths, timestamp);
    }

    /// <summary>
    /// How many processes of the cgroup the OOM killer killed (v1 memory.oom_control oom_kill, kernel &gt;= 4.13;
    /// v2 memory.events oom_kill). Null when the cgroup or the counter does not exist.
    /// </summary>
    internal ulong? ReadOomKillCount(string cgroupsPath) => ReadOomKills(layout.Resolve(cgroupsPath));

    private ulong? ReadOomKills(CgroupPaths paths) => layout.Mode == CgroupMode.V2
        ? CgroupFiles.ReadFlatKeyed(paths.Unified, "memory.events")?.GetValueOrNull("oom_kill")
        : CgroupFiles.ReadFlatKeyed(paths.For("memory"), "memory.oom_control")?.GetValueOrNull("oom_kill");

    private CgroupStats ReadV1(CgroupPaths paths, long timestamp)
    {
        var cpuacct = paths.For("cpuacct");
        ulong? cpuUsage = CgroupFiles.ReadUInt64(cpuacct, "cpuacct.usage");
        ulong? cpuUser = CgroupFiles.ReadUInt64(cpuacct, "cpuacct.usage_user");
        ulong? cpuSystem = CgroupFiles.ReadUInt64(cpuacct, "cpuacct.usage_sys");
        if (cpuUsage is null && paths.Unified is not null)
        {
            // Hybrid without cpuacct: the cgroup2 side always has core cpu.stat.
            var cpuStat = CgroupFiles.ReadFlatKeyed(paths.Unified, "cpu.stat");
            cpuUsage = cpuStat?.GetValueOrNull("usage_usec") * NanosPerMicro;
            cpuUser = cpuStat?.GetValueOrNull("user_usec") * NanosPerMicro;
            cpuSystem = cpuStat?.GetValueOrNull("system_usec") * NanosPerMicro;
        }

        var memory = paths.For("memory");
        var memoryStat = CgroupFiles.ReadFlatKeyed(memory, "memory.stat");
        var usage = CgroupFiles.ReadUInt64(memory, "memory.usage_in_bytes");
        var limit = CgroupFiles.ReadLimit(memory, "memory.limit_in_bytes");
        var workingSet = WorkingSet(usage, memoryStat?.GetValueOrNull("total_inactive_file"));

        // Swap: total_swap exists only with swap accounting; memsw files likewise.
        var memswUsage = CgroupFiles.ReadUInt64(memory, "memory.memsw.usage_in_bytes");
        var swapUsage = memoryStat?.GetValueOrNull("total_swap")
            ?? (memswUsage is { } mu && usage is { } u ? (mu > u ? mu - u : 0) : null);
        var memswLimit = CgroupFiles.ReadLimit(memory, "memory.memsw.limit_in_bytes");
        ulong? swapLimit = memswLimit is { } ml && limit is { } l ? (ml > l ? ml - l : 0) : null;

        var pids = paths.For("pids");
        return WithPressure(new CgroupStats
        {
            TimestampNanos = timestamp,
            CpuUsageCoreNanoSeconds = cpuUsage,
            CpuUserNanoSeconds = cpuUser,
            CpuSystemNanoSeconds = cpuSystem,
            MemoryUsageBytes = usage,
            MemoryWorkingSetBytes = workingSet,
            MemoryRssBytes = memoryStat?.GetValueOrNull("total_rss"),
            MemoryPageFaults = memoryStat?.GetValueOrNull("total_pgfault"),
            MemoryMajorPageFaults = memoryStat?.GetValueOrNull("total_pgmajfault"),
            MemoryLimitBytes = limit,
            MemoryAvailableBytes = Available(limit, workingSet),
            SwapUsageBytes = swapUsage,
            SwapLimitBytes = swapLimit,
            SwapAvailableBytes = Available(swapLimit, swapUsage),
            OomKillCount = ReadOomKills(paths),
            PidsCurrent = CgroupFiles.ReadUInt64(pids, "pids.current"),
            PidsLimit = CgroupFiles.ReadLimit(pids, "pids.max"),
        }, paths.Unified);
    }

    private CgroupStats ReadV2(CgroupPaths paths, long timestamp)
    {
        var dir = paths.Unified;
        var cpuStat = CgroupFiles.ReadFlatKeyed(dir, "cpu.stat");
        var memoryStat = CgroupFiles.ReadFlatKeyed(dir, "memory.stat");
        var usage = CgroupFiles.ReadUInt64(dir, "memory.current");
        var limit = CgroupFiles.ReadLimit(dir, "memory.max");
        var workingSet = WorkingSet(usage, memoryStat?.GetValueOrNull("inactive_file"));
        var swapUsage = CgroupFiles.ReadUInt64(dir, "memory.swap.current");
        var swapLimit = CgroupFiles.ReadLimit(dir, "memory.swap.max");
        return WithPressure(new CgroupStats
        {
            TimestampNanos = timestamp,
            CpuUsageCoreNanoSeconds = cpuStat?.GetValueOrNull("usage_usec") * NanosPerMicro,
            CpuUserNanoSeconds = cpuStat?.GetValueOrNull("user_usec") * NanosPerMicro,
            CpuSystemNanoSeconds = cpuStat?.GetValueOrNull("system_usec") * NanosPerMicro,
            MemoryUsageBytes = usage,
            MemoryWorkingSetBytes = workingSet,
            MemoryRssBytes = memoryStat?.GetValueOrNull("anon"),
            MemoryPageFaults = memoryStat?.GetValueOrNull("pgfault"),
            MemoryMajorPageFaults = memoryStat?.GetValueOrNull("pgmajfault"),
            MemoryLimitBytes = limit,
            MemoryAvailableBytes = Available(limit, workingSet),
            SwapUsageBytes = swapUsage,
            SwapLimitBytes = swapLimit,
            SwapAvailableBytes = Available(swapLimit, swapUsage),
            OomKillCount = ReadOomKills(paths),
            PidsCurrent = CgroupFiles.ReadUInt64(dir, "pids.current"),
            PidsLimit = CgroupFiles.ReadLimit(dir, "pids.max"),
        }, dir);
    }

    /// <summary>Adds PSI from the cgroup2 directory (v2, or the unified side of a hybrid host).</summary>
    private static CgroupStats WithPressure(CgroupStats stats, string? unifiedDirectory) => unifiedDirectory is null
        ? stats
        : stats with
        {
            CpuPressure = ReadPressure(unifiedDirectory, "cpu.pressure"),
            MemoryPressure = ReadPressure(unifiedDirectory, "memory.pressure"),
        };

    private static PressureStats? ReadPressure(string directory, string file) =>
        CgroupFiles.ReadText(directory, file) is { } text ? PressureParser.Parse(text) : null;

    /// <summary>Usage minus inactive file pages, floored at zero; null without a usage figure.</summary>
    public static ulong? WorkingSet(ulong? usage, ulong? inactiveFile) => usage switch
    {
        null => null,
        { } u when inactiveFile is { } inactive => u > inactive ? u - inactive : 0,
        { } u => u,
    };

    private static ulong? Available(ulong? limit, ulong? workingSet) =>
        limit is { } l && workingSet is { } ws ? (l > ws ? l - ws : 0) : null;

    internal static long UnixNanos(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
}

internal static class FlatKeyedExtensions
{
    public static ulong? GetValueOrNull(this IReadOnlyDictionary<string, ulong> values, string key) =>
        values.TryGetValue(key, out var value) ? value : null;
}
