using System.Runtime.InteropServices;

namespace CriShim.Oci.Exec;

/// <summary>libc calls the streaming OS side needs and .NET lacks: pipes to hand over, namespaces, signals.</summary>
static class ExecNative
{
    public const int SIGKILL = 9;
    public const int O_RDONLY = 0, O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    public const int CLONE_NEWNET = 0x40000000;

    [DllImport("libc", SetLastError = true)]
    public static extern int kill(int pid, int sig);

    [DllImport("libc", SetLastError = true)]
    public static extern int setns(int fd, int nstype);

    [DllImport("libc", SetLastError = true, EntryPoint = "open")]
    public static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int dup(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int pipe2(int[] fds, int flags);

    const long SYS_pidfd_send_signal = 424, SYS_pidfd_open = 434; // same number on every architecture

    [DllImport("libc", SetLastError = true, EntryPoint = "syscall")]
    static extern int syscall_int_uint(long number, int arg1, uint arg2);

    [DllImport("libc", SetLastError = true, EntryPoint = "syscall")]
    static extern int syscall_int_int_ptr_uint(long number, int arg1, int arg2, IntPtr arg3, uint arg4);

    /// <summary>A descriptor naming exactly this process, immune to pid reuse; -1 if unavailable.</summary>
    public static int pidfd_open(int pid) => syscall_int_uint(SYS_pidfd_open, pid, 0);

    public static int pidfd_send_signal(int pidfd, int sig) => syscall_int_int_ptr_uint(SYS_pidfd_send_signal, pidfd, sig, IntPtr.Zero, 0);

    public static IOException Error(string what) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
