namespace CriShim.Oci.Cgroups;

/// <summary>Disk usage of a directory tree, e.g. a container's writable layer (overlay upperdir).</summary>
/// <param name="TimestampNanos">Unix nanoseconds when the walk started.</param>
/// <param name="UsedBytes">Allocated bytes (st_blocks * 512, like du), each inode counted once.</param>
/// <param name="InodesUsed">Distinct inodes, the root directory included.</param>
public sealed record FilesystemUsage(long TimestampNanos, ulong UsedBytes, ulong InodesUsed);
