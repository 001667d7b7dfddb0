using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Oci.Cgroups;

/// <summary>
/// Applies Linux resources to an existing cgroup in place (pod cgroups for UpdatePodSandboxResources, or a
/// fallback to `runc update`), on v1, hybrid and v2 hosts, in the orders the kernel accepts.
/// </summary>
public sealed class CgroupUpdater(CgroupLayout layout, ILogger<CgroupUpdater>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<CgroupUpdater>.Instance;

    /// <summary>Writes every non-null field of <paramref name="resources"/>.</summary>
    /// <exception cref="CgroupNotFoundException">The cgroup exists in no hierarchy.</exception>
    /// <exception cref="CgroupException">The kernel rejected a value (e.g. a memory limit below current usage).</exception>
    /// <exception cref="ArgumentException">Inconsistent values (swap below memory).</exception>
    public CgroupUpdateResult Apply(string cgroupsPath, CgroupResources resources)
    {
        var paths = layout.Resolve(cgroupsPath);
        if (!paths.Exists)
            throw new CgroupNotFoundException(paths.CgroupsPath);
        var writer = new Writer();
        if (layout.Mode == CgroupMode.V2)
            ApplyV2(paths, resources, writer);
        else
            ApplyV1(paths, resources, writer);
        ApplyHugepages(paths, resources, writer);
        ApplyUnified(paths, resources, writer);
        _logger.LogInformation("Updated cgroup {CgroupsPath}: {Applied}; skipped {Skipped}",
            paths.CgroupsPath, writer.Applied, writer.Skipped);
        return new CgroupUpdateResult(writer.Applied, writer.Skipped);
    }

    private static void ApplyV1(CgroupPaths paths, CgroupResources r, Writer w)
    {
        var cpu = paths.For("cpu");
        if (r.CpuShares is { } shares)
            w.Write(cpu, "cpu.shares", Invariant(shares), "cpu");
        if (r.CpuPeriod is not null || r.CpuQuota is not null)
        {
            // Period first; if the kernel rejects it against the current quota, quota first then period (as runc).
            try
            {
                w.Write(cpu, "cpu.cfs_period_us", r.CpuPeriod is { } p ? Invariant(p) : null, "cpu");
                w.Write(cpu, "cpu.cfs_quota_us", r.CpuQuota is { } q ? Invariant(q) : null, "cpu");
            }
            catch (CgroupException) when (r.CpuPeriod is not null && r.CpuQuota is not null)
            {
                w.Write(cpu, "cpu.cfs_quota_us", Invariant(r.CpuQuota.Value), "cpu");
                w.Write(cpu, "cpu.cfs_period_us", Invariant(r.CpuPeriod.Value), "cpu");
            }
        }

        var cpuset = paths.For("cpuset");
        w.Write(cpuset, "cpuset.cpus", r.CpusetCpus, "cpuset");
        w.Write(cpuset, "cpuset.mems", r.CpusetMems, "cpuset");

        ApplyV1Memory(paths.For("memory"), r, w);

        if (r.PidsLimit is { } pids)
            w.Write(paths.For("pids"), "pids.max", pids <= 0 ? "max" : Invariant(pids), "pids");
    }

    private static void ApplyV1Memory(string? memory, CgroupResources r, Writer w)
    {
        var limit = r.MemoryLimitBytes;
        var swap = r.MemorySwapLimitBytes;
        // Unlimited memory with swap unspecified lifts the swap limit too, or the kernel refuses memory > memsw.
        if (limit == -1 && swap is null)
            swap = -1;
        var hasMemsw = CgroupFiles.Exists(memory, "memory.memsw.limit_in_bytes");
        if (swap is not null && !hasMemsw)
        {
            w.Skip("memory.memsw.limit_in_bytes", "swap accounting is not enabled");
            swap = null;
        }
        if (limit is > 0 && swap is null && hasMemsw)
            swap = KeepSwapAllowance(memory, limit.Value);
        if (limit is { } l && swap is { } s)
        {
            // memory.limit must stay <= memsw.limit at every step: raise memsw first when growing.
            var current = CgroupFiles.ReadUInt64(memory, "memory.limit_in_bytes");
            if (s == -1 || current is null || current < (ulong)s)
            {
                w.Write(memory, "memory.memsw.limit_in_bytes", Invariant(s), "memory");
                w.Write(memory, "memory.limit_in_bytes", Invariant(l), "memory");
            }
            else
            {
                w.Write(memory, "memory.limit_in_bytes", Invariant(l), "memory");
                w.Write(memory, "memory.memsw.limit_in_bytes", Invariant(s), "memory");
            }
            return;
        }
        if (limit is { } only)
            w.Write(memory, "memory.limit_in_bytes", Invariant(only), "memory");
        if (swap is { } onlySwap)
            w.Write(memory, "memory.memsw.limit_in_bytes", Invariant(onlySwap), "memory");
    }

    // Changing only the memory limit must not trip over memsw (the kernel wants memory <= memsw): move memsw
    // along so the swap allowance (memsw - memory) stays what it was. Unlimited memsw needs no change.
    private static long? KeepSwapAllowance(string? memory, long newLimit)
    {
        var currentLimit = CgroupFiles.ReadLimit(memory, "memory.limit_in_bytes");
        var currentMemsw = CgroupFiles.ReadLimit(memory, "memory.memsw.limit_in_bytes");
        if (currentMemsw is not { } memsw)
            return null;
        var allowance = currentLimit is { } l && memsw > l ? memsw - l : 0;
        return newLimit + (long)allowance;
    }

    private static void ApplyV2(CgroupPaths paths, CgroupResources r, Writer w)
    {
        var dir = paths.Unified;
        if (r.CpuShares is { } shares && shares != 0)
            w.Write(dir, "cpu.weight", Invariant(CgroupV2Conversions.SharesToWeight(shares)), "cpu");
        var cpuMax = CgroupV2Conversions.CpuMax(r.CpuQuota, r.CpuPeriod, CgroupFiles.ReadText(dir, "cpu.max")?.Trim());
        w.Write(dir, "cpu.max", cpuMax, "cpu");
        w.Write(dir, "cpuset.cpus", r.CpusetCpus, "cpuset");
        w.Write(dir, "cpuset.mems", r.CpusetMems, "cpuset");
        if (CgroupV2Conversions.SwapToV2(r.MemorySwapLimitBytes, r.MemoryLimitBytes) is { } swap)
        {
            if (CgroupFiles.Exists(dir, "memory.swap.max"))
                w.Write(dir, "memory.swap.max", CgroupV2Conversions.Limit(swap), "memory");
            else
                w.Skip("memory.swap.max", "swap accounting is not enabled");
        }
        if (r.MemoryLimitBytes is { } limit)
            w.Write(dir, "memory.max", CgroupV2Conversions.Limit(limit), "memory");
        if (r.PidsLimit is { } pids)
            w.Write(dir, "pids.max", pids <= 0 ? "max" : Invariant(pids), "pids");
    }

    private void ApplyHugepages(CgroupPaths paths, CgroupResources r, Writer w)
    {
        if (r.HugepageLimits is not { Count: > 0 } limits)
            return;
        var onUnified = layout.Mode == CgroupMode.V2 || layout.IsUnifiedController("hugetlb");
        var dir = onUnified ? paths.Unified : paths.For("hugetlb");
        foreach (var (pageSize, bytes) in limits)
        {
            var file = onUnified ? $"hugetlb.{pageSize}.max" : $"hugetlb.{pageSize}.limit_in_bytes";
            if (CgroupFiles.Exists(dir, file))
                w.Write(dir, file, Invariant(bytes), "hugetlb");
            else
                w.Skip(file, "hugetlb controller or page size not available for this cgroup");
        }
    }

    private static void ApplyUnified(CgroupPaths paths, CgroupResources r, Writer w)
    {
        if (r.Unified is not { Count: > 0 } unified)
            return;
        foreach (var (file, value) in unified)
        {
            // Keys are file names, never paths.
            if (file.Contains('/') || file.StartsWith('.'))
                throw new ArgumentException($"invalid unified cgroup key {file}");
            if (CgroupFiles.Exists(paths.Unified, file))
                w.Write(paths.Unified, file, value, "unified");
            else
                w.Skip(file, "no such cgroup2 file for this cgroup");
        }
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class Writer
    {
        public List<string> Applied { get; } = [];
        public List<string> Skipped { get; } = [];

        public void Write(string? directory, string file, string? value, string controller)
        {
            if (value is null)
                return;
            if (directory is null || !Directory.Exists(directory))
            {
                Skip(file, $"the {controller} controller is not available for this cgroup");
                return;
            }
            if (!File.Exists(Path.Combine(directory, file)))
            {
                Skip(file, $"{file} does not exist (controller {controller} not enabled here)");
                return;
            }
            CgroupFiles.Write(directory, file, value);
            Applied.Add($"{Path.Combine(directory, file)}={value}");
        }

        public void Skip(string file, string reason) => Skipped.Add($"{file}: {reason}");
    }
}
