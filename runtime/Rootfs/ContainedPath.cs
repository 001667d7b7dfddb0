using CriShim.Oci.Native;

namespace CriShim.Oci.Rootfs;

/// <summary>Resolves a path below a directory with every symlink followed, refusing results outside that directory.</summary>
public static class ContainedPath
{
    /// <summary>
    /// ROOT/RELATIVE with symlinks resolved; null when it does not exist. Throws <see cref="ArgumentException"/> when
    /// the resolved path leaves <paramref name="root"/> (a symlink pointing out of it).
    /// </summary>
    public static string? Resolve(string root, string relative)
    {
        var candidate = Path.Combine(root, relative);
        if (!File.Exists(candidate) && !Directory.Exists(candidate)) return null;
        var resolved = LibC.RealPath(candidate);
        var realRoot = LibC.RealPath(root);
        if (resolved != realRoot && !resolved.StartsWith(realRoot.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw new ArgumentException($"\"{relative}\" resolves to {resolved}, outside {root}");
        return resolved;
    }
}
