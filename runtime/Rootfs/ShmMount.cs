using System.Globalization;
using System.Runtime.InteropServices;
using CriShim.Oci.Native;

namespace CriShim.Oci.Rootfs;

/// <summary>The per-pod /dev/shm: a tmpfs (nosuid, nodev, noexec, mode 1777) bind-mounted into every container of the pod.</summary>
public static class ShmMount
{
    public const long DefaultSizeBytes = 64L * 1024 * 1024;

    public static string Options(long sizeBytes) => "mode=1777,size=" + sizeBytes.ToString(CultureInfo.InvariantCulture);

    public static void Mount(string path, long sizeBytes = DefaultSizeBytes)
    {
        Directory.CreateDirectory(path);
        if (LibC.mount("shm", path, "tmpfs", LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOEXEC, Options(sizeBytes)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new MountException($"shm mount at {path} failed: {LibC.Describe(errno)}", errno);
        }
    }

    public static bool Unmount(string path) => Unmounter.Unmount(path);
}
