namespace CriShim.Oci.Specs;

/// <summary>Validation and normalization of paths inside the container.</summary>
public static class ContainerPaths
{
    /// <summary>
    /// The cleaned absolute form of a container path ("/a//b/./c/" -> "/a/b/c"); relative paths and ".." that
    /// climbs above "/" are refused.
    /// </summary>
    public static string Clean(string path, string what = "container path")
    {
        if (string.IsNullOrWhiteSpace(path)) throw new SpecException($"{what} is empty");
        if (!path.StartsWith('/')) throw new SpecException($"{what} \"{path}\" must be absolute");
        if (path.Contains('\0')) throw new SpecException($"{what} contains a NUL byte");
        var parts = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) throw new SpecException($"{what} \"{path}\" escapes the container root with \"..\"");
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>Number of path components, "/" being 0: mounts are ordered by it so parents precede children.</summary>
    public static int Depth(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries).Length;
}
