using Mono.Unix.Native;

namespace CriShim.Images;

/// <summary>Bytes (allocated blocks) and inodes under a directory, each hard-linked inode counted once; symlinks not followed.</summary>
public static class DiskUsage
{
    public static (ulong Bytes, ulong Inodes) Measure(string root)
    {
        var seen = new HashSet<(ulong Dev, ulong Ino)>();
        ulong bytes = 0;
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var path = pending.Pop();
            if (Syscall.lstat(path, out var st) != 0) continue;
            if (!seen.Add((st.st_dev, st.st_ino))) continue;
            bytes += (ulong)Math.Max(0, st.st_blocks) * 512;
            if ((st.st_mode & FilePermissions.S_IFMT) != FilePermissions.S_IFDIR) continue;
            try
            {
                foreach (var child in Directory.EnumerateFileSystemEntries(path)) pending.Push(child);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return (bytes, (ulong)seen.Count);
    }
}
