using System.Runtime.InteropServices;

namespace CriShim.Runtime.Exec;

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

    public static IOException Error(string what) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
