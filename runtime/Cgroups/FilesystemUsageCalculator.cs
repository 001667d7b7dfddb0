using System.IO.Enumeration;
using Mono.Unix.Native;

namespace CriShim.Oci.Cgroups;

/// <summary>
/// Walks a directory tree like `du -x`: lstat only (symlinks are counted, never followed), stays on the
/// root's filesystem (mount points below are skipped), counts hardlinked inodes once.
/// </summary>
public static class FilesystemUsageCalculator
{
    private static readonly EnumerationOptions NamesOnly = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    /// <summary>Measures the tree under <paramref name="directory"/>; null when it does not exist.</summary>
    public static FilesystemUsage? Measure(string directory, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var timestamp = CgroupStatsReader.UnixNanos((timeProvider ?? TimeProvider.System).GetUtcNow());
        if (Syscall.lstat(directory, out var root) != 0 || (root.st_mode & FilePermissions.S_IFMT) != FilePermissions.S_IFDIR)
            return null;

        var hardlinks = new HashSet<(ulong Dev, ulong Ino)>();
        ulong bytes = Allocated(root), inodes = 1;
        var pending = new Stack<string>();
        pending.Push(directory);
        var visited = 0;
        while (pending.TryPop(out var current))
        {
            IEnumerable<string> names;
            try
            {
                names = new FileSystemEnumerable<string>(current, (ref FileSystemEntry e) => e.FileName.ToString(), NamesOnly);
                foreach (var name in names)
                {
                    if (++visited % 1024 == 0)
                        cancellationToken.ThrowIfCancellationRequested();
                    var path = Path.Join(current, name);
                    // The tree changes under a running container: a vanished entry is simply not counted.
                    if (Syscall.lstat(path, out var st) != 0 || st.st_dev != root.st_dev)
                        continue;
                    var isDirectory = (st.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFDIR;
                    if (!isDirectory && st.st_nlink > 1 && !hardlinks.Add((st.st_dev, st.st_ino)))
                        continue;
                    bytes += Allocated(st);
                    inodes++;
                    if (isDirectory)
                        pending.Push(path);
                }
            }
            catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException or IOException)
            {
                // Directory removed or unreadable mid-walk.
            }
        }
        return new FilesystemUsage(timestamp, bytes, inodes);
    }

    private static ulong Allocated(Stat st) => st.st_blocks > 0 ? (ulong)st.st_blocks * 512UL : 0;
}
