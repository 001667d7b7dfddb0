namespace CriShim.Oci.Specs;

/// <summary>Resolves a path inside a container rootfs the way the container would, so symlinks cannot escape it.</summary>
public static class RootfsPath
{
    private const int MaxLinks = 40;

    /// <summary>The host path of <paramref name="path"/> inside <paramref name="rootfs"/>, following symlinks within the root.</summary>
    public static string Resolve(string rootfs, string path)
    {
        var root = System.IO.Path.GetFullPath(rootfs);
        var pending = new Stack<string>(Split(path).Reverse());
        var resolved = new List<string>();
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }
            var candidate = System.IO.Path.Combine(root, System.IO.Path.Combine([.. resolved, part]));
            var info = new FileInfo(candidate);
            if (info.Exists || Directory.Exists(candidate))
            {
                var target = info.LinkTarget ?? new DirectoryInfo(candidate).LinkTarget;
                if (target is not null)
                {
                    if (++links > MaxLinks) throw new IOException($"too many symlinks resolving {path} in {rootfs}");
                    if (target.StartsWith('/')) resolved.Clear();
                    foreach (var p in Split(target).Reverse()) pending.Push(p);
                    continue;
                }
            }
            resolved.Add(part);
        }
        return resolved.Count == 0 ? root : System.IO.Path.Combine(root, System.IO.Path.Combine([.. resolved]));
    }

    private static IEnumerable<string> Split(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
}
