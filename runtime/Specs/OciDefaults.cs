using CriShim.Oci.Specs.Model;

namespace CriShim.Oci.Specs;

/// <summary>The defaults containerd 1.6's CRI plugin gives an unprivileged container.</summary>
public static class OciDefaults
{
    public const string Path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static IReadOnlyList<string> Capabilities { get; } =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    public static IReadOnlyList<string> MaskedPaths { get; } =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    ];

    public static IReadOnlyList<string> ReadonlyPaths { get; } =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <summary>/proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys (ro) and /sys/fs/cgroup (ro).</summary>
    public static IReadOnlyList<Mount> Mounts { get; } =
    [
        new("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
        new("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        new("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        new("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        new("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
        new("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
        new("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"]),
    ];

    /// <summary>Deny every device, then allow the usual character devices (null, zero, full, random, tty, pts, tun...).</summary>
    public static IReadOnlyList<LinuxDeviceCgroup> DeviceRules { get; } =
    [
        new(false, Access: "rwm"),
        new(true, "c", 1, 3, "rwm"),   // null
        new(true, "c", 1, 8, "rwm"),   // random
        new(true, "c", 1, 7, "rwm"),   // full
        new(true, "c", 5, 0, "rwm"),   // tty
        new(true, "c", 1, 5, "rwm"),   // zero
        new(true, "c", 1, 9, "rwm"),   // urandom
        new(true, "c", 5, 1, "rwm"),   // console
        new(true, "c", 136, null, "rwm"), // pts/*
        new(true, "c", 5, 2, "rwm"),   // ptmx
        new(true, "c", 10, 200, "rwm"), // tun
    ];
}
