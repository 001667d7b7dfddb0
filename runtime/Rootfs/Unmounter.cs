using System.Runtime.InteropServices;
using CriShim.Oci.Native;

namespace CriShim.Oci.Rootfs;

/// <summary>Idempotent unmounting with a lazy-detach fallback.</summary>
public static class Unmounter
{
    /// <summary>
    /// Unmounts <paramref name="target"/>. Not mounted or missing (EINVAL/ENOENT) counts as done; a busy mount
    /// (EBUSY) is lazily detached so it goes away once the last user leaves. Returns whether something was unmounted.
    /// </summary>
    public static bool Unmount(string target)
    {
        if (LibC.umount2(target, LibC.UMOUNT_NOFOLLOW) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        switch (errno)
        {
            case LibC.EINVAL or LibC.ENOENT:
                return false;
            case LibC.EBUSY:
                if (LibC.umount2(target, LibC.MNT_DETACH | LibC.UMOUNT_NOFOLLOW) == 0) return true;
                errno = Marshal.GetLastPInvokeError();
                if (errno is LibC.EINVAL or LibC.ENOENT) return false;
                throw new MountException($"lazy unmount of {target} failed: {LibC.Describe(errno)}", errno);
            default:
                throw new MountException($"unmount of {target} failed: {LibC.Describe(errno)}", errno);
        }
    }

    /// <summary>
    /// Unmounts every mount point strictly below <paramref name="dir"/>, deepest first, so a recursive delete of the
    /// directory can never reach into what is mounted there (an image layer, a volume). Returns how many there were.
    /// </summary>
    public static int UnmountAllBelow(string dir)
    {
        var prefix = Path.GetFullPath(dir).TrimEnd('/') + "/";
        var below = MountPoints()
            .Where(point => point.StartsWith(prefix, StringComparison.Ordinal))
            .Distinct()
            .OrderByDescending(point => point.Length)
            .ToList();
        foreach (var point in below)
            for (var i = 0; i < 16 && Unmount(point); i++) { } // stacked mounts come off one at a time
        return below.Count;
    }

    /// <summary>Whether <paramref name="path"/> is a mount point (listed in /proc/self/mountinfo).</summary>
    public static bool IsMountPoint(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        if (full.Length == 0) full = "/";
        return MountPoints().Contains(full, StringComparer.Ordinal);
    }

    /// <summary>The mount points of this mount namespace (field 5 of /proc/self/mountinfo, unescaped), read anew each call.</summary>
    static IEnumerable<string> MountPoints() =>
        File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 4)
            .Select(fields => Unescape(fields[4]));

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(field[i]);
        }
        return sb.ToString();
    }
}
