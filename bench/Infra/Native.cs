using System.Runtime.InteropServices;

namespace CriShim.Bench.Infra;

/// <summary>The few libc calls the harness needs: signals and detached unmounts.</summary>
static partial class Native
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    const int MNT_DETACH = 2;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int umount2(string target, int flags);

    public static bool Signal(int pid, int sig) => kill(pid, sig) == 0;

    public static bool IsAlive(int pid) => kill(pid, 0) == 0;

    public static bool UnmountDetached(string target) => umount2(target, MNT_DETACH) == 0;

    public static bool IsRoot => Environment.UserName == "root" || geteuid() == 0;

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
