namespace CriShim.Oci.Specs;

/// <summary>Linux capability names: validation, <c>CAP_</c> normalization and CRI add/drop semantics.</summary>
public static class CapabilitySet
{
    /// <summary>Every capability the kernel knows (0..40), in number order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    private static readonly HashSet<string> Known = new(All, StringComparer.Ordinal);

    /// <summary>"net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all become "CAP_NET_ADMIN"; unknown names throw.</summary>
    public static string Normalize(string name)
    {
        var upper = name.Trim().ToUpperInvariant();
        var full = upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper : "CAP_" + upper;
        return Known.Contains(full) ? full : throw new SpecException($"unknown capability \"{name}\"");
    }

    /// <summary>The capability names set in a mask such as CapBnd of /proc/PID/status.</summary>
    public static IReadOnlyList<string> FromMask(ulong mask) =>
        [.. All.Where((_, bit) => (mask & (1UL << bit)) != 0)];

    /// <summary>
    /// The bounding set of this process: what "ALL" and privileged can actually grant (like containerd's cap.Current();
    /// asking runc for more fails with "unable to apply caps").
    /// </summary>
    public static IReadOnlyList<string> Current(string statusPath = "/proc/self/status")
    {
        try
        {
            var line = File.ReadLines(statusPath).FirstOrDefault(l => l.StartsWith("CapBnd:", StringComparison.Ordinal));
            if (line is not null && ulong.TryParse(line["CapBnd:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, null, out var mask))
                return FromMask(mask);
        }
        catch (IOException) { }
        return All;
    }

    private static bool IsAll(string name) => string.Equals(name.Trim(), "ALL", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// CRI semantics, like containerd: "ALL" in add grants every capability and "ALL" in drop clears the set,
    /// then the individual adds and drops apply, so add ALL + drop CHOWN is everything but CHOWN.
    /// </summary>
    /// <param name="all">What "ALL" means: the capabilities the daemon itself holds (defaults to every known one).</param>
    public static IReadOnlyList<string> Apply(IEnumerable<string> baseline, IEnumerable<string> add, IEnumerable<string> drop,
        IReadOnlyList<string>? all = null)
    {
        var addList = add.ToList();
        var dropList = drop.ToList();
        var caps = new List<string>(baseline.Select(Normalize));
        if (addList.Any(IsAll)) caps = [.. all ?? All];
        if (dropList.Any(IsAll)) caps.Clear();
        foreach (var name in addList.Where(n => !IsAll(n)).Select(Normalize))
            if (!caps.Contains(name)) caps.Add(name);
        foreach (var name in dropList.Where(n => !IsAll(n)).Select(Normalize))
            caps.Remove(name);
        return caps;
    }
}
