namespace CriShim.Oci.Cgroups;

/// <summary>v1-style resource values converted to cgroup2 files, the way runc converts them.</summary>
public static class CgroupV2Conversions
{
    /// <summary>cpu.shares (2..262144) to cpu.weight (1..10000): 1 + ((shares - 2) * 9999) / 262142.</summary>
    public static ulong SharesToWeight(ulong shares)
    {
        var clamped = Math.Clamp(shares, 2UL, 262144UL);
        return 1 + (clamped - 2) * 9999 / 262142;
    }

    /// <summary>
    /// The cpu.max line "quota period" ("max" for no quota). Without a new period the current one is kept
    /// (the kernel keeps it when only the first field is written); without a new quota the current quota is kept.
    /// </summary>
    public static string? CpuMax(long? quota, ulong? period, string? currentCpuMax)
    {
        if (quota is null && period is null)
            return null;
        var quotaText = quota switch
        {
            null => currentCpuMax?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "max",
            > 0 => quota.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "max",
        };
        return period is { } p ? $"{quotaText} {p}" : quotaText;
    }

    /// <summary>
    /// OCI memory.swap (memory + swap) to memory.swap.max (swap only): null = leave unchanged, -1 = "max".
    /// </summary>
    /// <exception cref="ArgumentException">Swap below the memory limit, or swap without a memory limit.</exception>
    public static long? SwapToV2(long? memorySwap, long? memory)
    {
        // Unlimited memory with swap unspecified means unlimited swap too (v1 compatibility, as runc does).
        if (memory == -1 && memorySwap is null)
            return -1;
        if (memorySwap is null or -1)
            return memorySwap;
        if (memory is null or -1)
            throw new ArgumentException("a swap limit needs a memory limit");
        if (memorySwap < memory)
            throw new ArgumentException($"memory+swap limit {memorySwap} is below the memory limit {memory}");
        return memorySwap - memory;
    }

    /// <summary>A limit for a "max"-style file: negative or null-as-unlimited becomes "max".</summary>
    public static string Limit(long value) => value < 0 ? "max" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
