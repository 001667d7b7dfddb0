using System.Globalization;
using CriShim.Oci.Specs.Model;

namespace CriShim.Oci.Specs;

/// <summary>What spec generation needs to know about the host; faked in unit tests.</summary>
public interface IHostEnvironment
{
    /// <summary>The lowest oom_score_adj this daemon may give a child: its own (/proc/self/oom_score_adj).</summary>
    int MinimumOomScoreAdj { get; }

    /// <summary>Whether the memory cgroup accounts swap (memory.memsw.* exists), so a swap limit can be set.</summary>
    bool SwapAccounting { get; }

    /// <summary>The capabilities this daemon holds: what privileged containers and "ALL" get.</summary>
    IReadOnlyList<string> Capabilities { get; }

    /// <summary>All host device nodes, given to privileged containers.</summary>
    IReadOnlyList<LinuxDevice> HostDevices();

    /// <summary>A device node on the host, for CRI device requests.</summary>
    LinuxDevice Device(string hostPath, string containerPath);
}

/// <summary>The real host.</summary>
public sealed class LinuxHostEnvironment : IHostEnvironment
{
    public int MinimumOomScoreAdj { get; } = ReadOomScoreAdj();

    public bool SwapAccounting { get; } =
        File.Exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") || File.Exists("/sys/fs/cgroup/memory.swap.max");

    public IReadOnlyList<string> Capabilities { get; } = CapabilitySet.Current();

    public IReadOnlyList<LinuxDevice> HostDevices() => DeviceResolver.HostDevices();

    public LinuxDevice Device(string hostPath, string containerPath) => DeviceResolver.Resolve(hostPath, containerPath);

    private static int ReadOomScoreAdj()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/self/oom_score_adj").Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}

/// <summary>oom_score_adj limits: the kernel range, and never below what the daemon itself has (containerd's restrict_oom_score_adj).</summary>
public static class OomScore
{
    public const int Min = -1000, Max = 1000;

    public static int Clamp(long requested, int daemonMinimum) =>
        (int)Math.Clamp(requested, Math.Max(Min, daemonMinimum), Max);
}
