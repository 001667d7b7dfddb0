namespace CriShim.Oci.Specs.Model;

/// <summary>cgroup limits of the container.</summary>
public sealed record LinuxResources
{
    public IReadOnlyList<LinuxDeviceCgroup>? Devices { get; init; }
    public LinuxMemory? Memory { get; init; }
    public LinuxCpu? Cpu { get; init; }
    public LinuxPids? Pids { get; init; }
    public IReadOnlyList<LinuxHugepageLimit>? HugepageLimits { get; init; }
}

/// <summary>One rule of the cgroup device allow/deny list; null type/major/minor mean "all".</summary>
public sealed record LinuxDeviceCgroup(bool Allow, string? Type = null, long? Major = null, long? Minor = null, string? Access = null);

public sealed record LinuxMemory
{
    public long? Limit { get; init; }
    public long? Swap { get; init; }
}

public sealed record LinuxCpu
{
    public ulong? Shares { get; init; }
    public long? Quota { get; init; }
    public ulong? Period { get; init; }
    public string? Cpus { get; init; }
    public string? Mems { get; init; }
}

public sealed record LinuxPids(long Limit);

public sealed record LinuxHugepageLimit(string PageSize, ulong Limit);
