using CriShim.Oci.Specs.Model;
using Mono.Unix.Native;

namespace CriShim.Oci.Specs;

/// <summary>Turns host device nodes into spec devices (type, major, minor and mode from stat).</summary>
public static class DeviceResolver
{
    /// <summary>The device at <paramref name="hostPath"/> as it should appear at <paramref name="containerPath"/>.</summary>
    public static LinuxDevice Resolve(string hostPath, string containerPath)
    {
        if (!Path.IsPathRooted(hostPath)) throw new SpecException($"device host path \"{hostPath}\" must be absolute");
        if (Syscall.stat(hostPath, out var st) != 0)
            throw new SpecException($"device \"{hostPath}\" does not exist on the host ({Stdlib.GetLastError()})");
        var kind = st.st_mode & FilePermissions.S_IFMT;
        var type = kind switch
        {
            FilePermissions.S_IFCHR => "c",
            FilePermissions.S_IFBLK => "b",
            FilePermissions.S_IFIFO => "p",
            _ => throw new SpecException($"\"{hostPath}\" is not a device node"),
        };
        var (major, minor) = Split(st.st_rdev);
        return new LinuxDevice
        {
            Path = containerPath, Type = type, Major = major, Minor = minor,
            FileMode = (uint)st.st_mode & 0x1FF, Uid = st.st_uid, Gid = st.st_gid,
        };
    }

    /// <summary>glibc's major()/minor() decoding of a dev_t.</summary>
    public static (long Major, long Minor) Split(ulong dev) =>
        ((long)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffUL)),
         (long)((dev & 0xff) | ((dev >> 12) & ~0xffUL)));

    /// <summary>Every device node under /dev except pty/console plumbing runc provides itself (for privileged containers).</summary>
    public static IReadOnlyList<LinuxDevice> HostDevices(string devRoot = "/dev")
    {
        var skipDirs = new HashSet<string>(StringComparer.Ordinal) { "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev" };
        var skipFiles = new HashSet<string>(StringComparer.Ordinal) { "console", "ptmx", "tty" };
        var devices = new List<LinuxDevice>();
        void Walk(string dir)
        {
            IEnumerable<string> entries;
            try { entries = Directory.EnumerateFileSystemEntries(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
            foreach (var entry in entries)
            {
                var name = Path.GetFileName(entry);
                if (Syscall.lstat(entry, out var st) != 0) continue;
                var kind = st.st_mode & FilePermissions.S_IFMT;
                if (kind == FilePermissions.S_IFDIR) { if (!skipDirs.Contains(name)) Walk(entry); continue; }
                if (kind is not (FilePermissions.S_IFCHR or FilePermissions.S_IFBLK) || skipFiles.Contains(name)) continue;
                var (major, minor) = Split(st.st_rdev);
                devices.Add(new LinuxDevice
                {
                    Path = entry, Type = kind == FilePermissions.S_IFCHR ? "c" : "b", Major = major, Minor = minor,
                    FileMode = (uint)st.st_mode & 0x1FF, Uid = st.st_uid, Gid = st.st_gid,
                });
            }
        }
        Walk(devRoot);
        return devices;
    }
}
