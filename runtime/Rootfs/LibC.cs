using System.Runtime.InteropServices;

namespace CriShim.Oci.Rootfs;

/// <summary>mount(2), umount2(2) and the new mount API (glibc 2.36+ wrappers), which .NET and Mono.Unix lack.</summary>
internal static class LibC
{
    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32, MS_BIND = 4096;
    public const int MNT_DETACH = 2, UMOUNT_NOFOLLOW = 8;
    public const int EPERM = 1, ENOENT = 2, EBUSY = 16, EINVAL = 22, ENOSYS = 38;
    public const uint FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1, MOUNT_ATTR_RDONLY = 1;
    public const uint FSCONFIG_SET_FLAG = 0, FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6;
    public const uint MOVE_MOUNT_F_EMPTY_PATH = 4;
    public const int AT_FDCWD = -100;

    [DllImport("libc", EntryPoint = "mount", SetLastError = true, CharSet = CharSet.Ansi)]
    public static extern int Mount(string source, string target, string fstype, ulong flags, string? data);

    [DllImport("libc", EntryPoint = "umount2", SetLastError = true, CharSet = CharSet.Ansi)]
    public static extern int Umount2(string target, int flags);

    [DllImport("libc", EntryPoint = "fsopen", SetLastError = true, CharSet = CharSet.Ansi)]
    public static extern int FsOpen(string fsName, uint flags);

    [DllImport("libc", EntryPoint = "fsconfig", SetLastError = true, CharSet = CharSet.Ansi)]
    public static extern int FsConfig(int fd, uint cmd, string? key, string? value, int aux);

    [DllImport("libc", EntryPoint = "fsmount", SetLastError = true)]
    public static extern int FsMount(int fd, uint flags, uint attrFlags);

    [DllImport("libc", EntryPoint = "move_mount", SetLastError = true, CharSet = CharSet.Ansi)]
    public static extern int MoveMount(int fromDirFd, string fromPath, int toDirFd, string toPath, uint flags);

    public const uint OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0x80000, AT_EMPTY_PATH = 0x1000, AT_RECURSIVE = 0x8000;
    public const ulong MOUNT_ATTR_IDMAP = 0x00100000;

    /// <summary>struct mount_attr of mount_setattr(2).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MountAttr
    {
        public ulong AttrSet, AttrClr, Propagation, UsernsFd;
    }

    [DllImport("libc", EntryPoint = "open_tree", SetLastError = true, CharSet = CharSet.Ansi)]
    public static extern int OpenTree(int dirFd, string path, uint flags);

    [DllImport("libc", EntryPoint = "mount_setattr", SetLastError = true, CharSet = CharSet.Ansi)]
    public static extern int MountSetAttr(int dirFd, string path, uint flags, ref MountAttr attr, nuint size);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern IntPtr RealPathNative(string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);

    /// <summary>realpath(3): the absolute path with every symlink resolved.</summary>
    public static string RealPath(string path)
    {
        var result = RealPathNative(path, IntPtr.Zero);
        if (result == IntPtr.Zero)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"realpath {path}: {Describe(errno)}");
        }
        try { return Marshal.PtrToStringUTF8(result)!; }
        finally { Free(result); }
    }

    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}
