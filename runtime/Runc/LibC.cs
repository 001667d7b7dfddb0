using System.Runtime.InteropServices;

namespace CriShim.Oci.Runc;

/// <summary>The few libc calls the process and network layer needs that .NET does not expose.</summary>
internal static class LibC
{
    public const int O_CLOEXEC = 0x80000;
    public const int O_NONBLOCK = 0x800;
    public const int MNT_DETACH = 2;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ESRCH = 3;
    public const int EINVAL = 22;
    public const int ENOENT = 2;
    public const int WNOHANG = 1;
    public const short POLLIN = 0x1;
    public const int PR_SET_CHILD_SUBREAPER = 36;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [DllImport("libc", SetLastError = true)]
    public static extern int pipe2(int[] fds, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern nint read(int fd, byte[] buf, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern int poll([In, Out] PollFd[] fds, nuint nfds, int timeout);

    [DllImport("libc", SetLastError = true)]
    public static extern int kill(int pid, int sig);

    [DllImport("libc", SetLastError = true)]
    public static extern int umount2(string target, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int waitpid(int pid, out int status, int options);

    [DllImport("libc", SetLastError = true)]
    public static extern int getpid();

    /// <summary>True when a process with this pid exists (zombies included).</summary>
    public static bool ProcessExists(int pid)
    {
        if (pid <= 0) return false;
        if (kill(pid, 0) == 0) return true;
        return Marshal.GetLastWin32Error() != ESRCH;
    }
}
