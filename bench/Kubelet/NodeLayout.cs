namespace CriShim.Bench.Kubelet;

/// <summary>
/// What a kubelet-shaped config depends on: where one runtime's pods keep their cgroups, logs and kubelet files,
/// and what the machine has (memory for the OOM score, hugepage sizes for the hugetlb limits kubelet always sends).
/// </summary>
sealed record NodeLayout(string CgroupRoot, string LogRoot, string KubeletRoot, long MemoryCapacityBytes, IReadOnlyList<string> HugepageSizes)
{
    /// <summary>This machine's memory and hugepage sizes, with the runtime's own directories.</summary>
    public static NodeLayout ForThisMachine(string cgroupRoot, string logRoot, string kubeletRoot) =>
        new(cgroupRoot, logRoot, kubeletRoot, MemoryCapacity(), HugepageSizesOf("/sys/kernel/mm/hugepages"));

    static long MemoryCapacity()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    /// <summary>"hugepages-2048kB" → "2MB", as kubelet names the sizes in HugepageLimits.</summary>
    public static IReadOnlyList<string> HugepageSizesOf(string dir)
    {
        if (!Directory.Exists(dir)) return [];
        return [.. Directory.EnumerateDirectories(dir, "hugepages-*kB")
            .Select(d => long.Parse(Path.GetFileName(d)["hugepages-".Length..^"kB".Length]))
            .Order()
            .Select(PageSizeName)];
    }

    public static string PageSizeName(long kib) =>
        kib >= 1048576 && kib % 1048576 == 0 ? $"{kib / 1048576}GB" :
        kib >= 1024 && kib % 1024 == 0 ? $"{kib / 1024}MB" : $"{kib}KB";
}
