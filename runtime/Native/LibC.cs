using System.Runtime.InteropServices;

namespace CriShim.Oci.Native;

/// <summary>
/// Every libc call of the OCI layer that .NET and Mono.Unix lack, declared once: pipes, poll, signals and pidfds,
/// namespaces, mount(2) and the new mount API (glibc 2.36+ wrappers), realpath(3). DllImport (not LibraryImport) so
/// the project needs no AllowUnsafeBlocks; strings marshal as UTF-8 on Linux.
/// </summary>
internal static class LibC
{
    // errno
    public const int ENOENT = 2, ESRCH = 3, EBUSY = 16, EINVAL = 22;

    // open(2), pipe2(2)
    public const int O_RDONLY = 0, O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    public const int AT_FDCWD = -100;

    // poll(2), setns(2)
    public const short POLLIN = 0x1;
    public const int CLONE_NEWNET = 0x40000000;

    // mount(2), umount2(2) and the new mount API
    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32, MS_BIND = 4096;
    public const int MNT_DETACH = 2, UMOUNT_NOFOLLOW = 8;
    public const uint FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1, MOUNT_ATTR_RDONLY = 1;
    public const uint FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6;
    public const uint MOVE_MOUNT_F_EMPTY_PATH = 4;
    public const uint OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0x80000, AT_EMPTY_PATH = 0x1000, AT_RECURSIVE = 0x8000;
    public const ulong MOUNT_ATTR_IDMAP = 0x00100000;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    /// <summary>struct mount_attr of mount_setattr(2).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MountAttr
    {
        public ulong AttrSet, AttrClr, Propagation, UsernsFd;
    }

    [DllImport("libc", SetLastError = true)]
    public static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int pipe2(int[] fds, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern nint read(int fd, byte[] buf, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern int poll([In, Out] PollFd[] fds, nuint nfds, int timeout);

    [DllImport("libc", SetLastError = true)]
    public static extern int kill(int pid, int sig);

    [DllImport("libc", SetLastError = true)]
    public static extern int setns(int fd, int nstype);

    [DllImport("libc", SetLastError = true)]
    public static extern int mount(string source, string target, string fstype, ulong flags, string? data);

    [DllImport("libc", SetLastError = true)]
    public static extern int umount2(string target, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int fsopen(string fsName, uint flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int fsconfig(int fd, uint cmd, string? key, string? value, int aux);

    [DllImport("libc", SetLastError = true)]
    public static extern int fsmount(int fd, uint flags, uint attrFlags);

    [DllImport("libc", SetLastError = true)]
    public static extern int move_mount(int fromDirFd, string fromPath, int toDirFd, string toPath, uint flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int open_tree(int dirFd, string path, uint flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int mount_setattr(int dirFd, string path, uint flags, ref MountAttr attr, nuint size);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr realpath(string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);

    private const long SYS_pidfd_send_signal = 424, SYS_pidfd_open = 434; // same number on every architecture

    [DllImport("libc", SetLastError = true, EntryPoint = "syscall")]
    private static extern int syscall_int_uint(long number, int arg1, uint arg2);

    [DllImport("libc", SetLastError = true, EntryPoint = "syscall")]
    private static extern int syscall_int_int_ptr_uint(long number, int arg1, int arg2, IntPtr arg3, uint arg4);

    /// <summary>A descriptor naming exactly this process, immune to pid reuse; -1 if unavailable.</summary>
    public static int pidfd_open(int pid) => syscall_int_uint(SYS_pidfd_open, pid, 0);

    public static int pidfd_send_signal(int pidfd, int sig) => syscall_int_int_ptr_uint(SYS_pidfd_send_signal, pidfd, sig, IntPtr.Zero, 0);

    /// <summary>True when a process with this pid exists (zombies included).</summary>
    public static bool ProcessExists(int pid)
    {
        if (pid <= 0) return false;
        if (kill(pid, 0) == 0) return true;
        return Marshal.GetLastWin32Error() != ESRCH;
    }

    /// <summary>realpath(3): the absolute path with every symlink resolved.</summary>
    public static string RealPath(string path)
    {
        var result = realpath(path, IntPtr.Zero);
        if (result == IntPtr.Zero)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"realpath {path}: {Describe(errno)}");
        }
        try { return Marshal.PtrToStringUTF8(result)!; }
        finally { free(result); }
    }

    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>The last libc error of <paramref name="what"/> as an exception.</summary>
    public static IOException Error(string what) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
