namespace CriShim.Oci.Cgroups;

/// <summary>
/// The host's cgroup hierarchies: which mode (v1, hybrid, v2) and where each controller is mounted,
/// learned from /proc/self/mountinfo rather than assumed.
/// </summary>
public sealed class CgroupLayout
{
    private readonly Dictionary<string, CgroupMount> _controllers;

    private CgroupLayout(CgroupMode mode, IReadOnlyList<CgroupMount> hierarchies,
        Dictionary<string, CgroupMount> controllers, CgroupMount? unified)
    {
        Mode = mode;
        Hierarchies = hierarchies;
        _controllers = controllers;
        Unified = unified;
    }

    public CgroupMode Mode { get; }

    /// <summary>One mount per hierarchy (v1 hierarchies first, then the cgroup2 one if any).</summary>
    public IReadOnlyList<CgroupMount> Hierarchies { get; }

    /// <summary>The cgroup2 mount (the whole tree on v2, /sys/fs/cgroup/unified on hybrid), if any.</summary>
    public CgroupMount? Unified { get; }

    /// <summary>Reads /proc/self/mountinfo and the cgroup2 root's cgroup.controllers.</summary>
    /// <exception cref="InvalidOperationException">No cgroup hierarchy is mounted.</exception>
    public static CgroupLayout Detect(string mountInfoPath = "/proc/self/mountinfo")
    {
        var mounts = MountInfoParser.Parse(File.ReadAllText(mountInfoPath));
        var unified = PickUnified(mounts);
        var unifiedControllers = Array.Empty<string>();
        if (unified is not null)
        {
            var file = Path.Combine(unified.MountPoint, "cgroup.controllers");
            if (File.Exists(file))
                unifiedControllers = File.ReadAllText(file).Split(' ', '\n', StringSplitOptions.RemoveEmptyEntries);
        }
        return FromMounts(mounts, unifiedControllers);
    }

    /// <summary>Builds a layout from parsed mounts and the controllers listed in the cgroup2 root's cgroup.controllers.</summary>
    public static CgroupLayout FromMounts(IReadOnlyList<CgroupMount> mounts, IReadOnlyCollection<string> unifiedControllers)
    {
        var controllers = new Dictionary<string, CgroupMount>(StringComparer.Ordinal);
        var hierarchies = new List<CgroupMount>();
        foreach (var mount in mounts.Where(m => !m.IsV2 && m.Controllers.Count > 0))
        {
            // The same hierarchy may be mounted twice (bind mounts); the first mount wins.
            if (mount.Controllers.Any(controllers.ContainsKey))
                continue;
            foreach (var controller in mount.Controllers)
                controllers[controller] = mount;
            hierarchies.Add(mount);
        }
        var unified = PickUnified(mounts);
        if (unified is null && hierarchies.Count == 0)
            throw new InvalidOperationException("no cgroup or cgroup2 hierarchy is mounted (see /proc/self/mountinfo)");
        var mode = hierarchies.Count == 0 ? CgroupMode.V2 : unified is null ? CgroupMode.V1 : CgroupMode.Hybrid;
        if (unified is not null)
        {
            hierarchies.Add(unified);
            foreach (var controller in unifiedControllers)
                controllers.TryAdd(controller, unified);
        }
        return new CgroupLayout(mode, hierarchies, controllers, unified);
    }

    /// <summary>The mount point of a controller, or null when the host does not have it.</summary>
    internal string? MountPointOf(string controller) => _controllers.GetValueOrDefault(controller)?.MountPoint;

    /// <summary>True when the controller lives in the cgroup2 hierarchy (always on v2; hugetlb on this kind of hybrid host).</summary>
    public bool IsUnifiedController(string controller) =>
        _controllers.TryGetValue(controller, out var mount) && mount.IsV2;

    /// <summary>
    /// Resolves an OCI linux.cgroupsPath of the cgroupfs driver (e.g. "/kubepods/besteffort/pod&lt;uid&gt;/&lt;id&gt;")
    /// to its directory in every hierarchy. The directories need not exist.
    /// </summary>
    /// <exception cref="ArgumentException">A systemd-style "slice:prefix:name" path, or a path with "..".</exception>
    public CgroupPaths Resolve(string cgroupsPath)
    {
        var path = Normalize(cgroupsPath);
        var byMount = new Dictionary<CgroupMount, string>();
        var controllers = new Dictionary<string, string>(StringComparer.Ordinal);
        // Named v1 hierarchies ("name=systemd") are keys too: runc creates the cgroup there as well.
        foreach (var (controller, mount) in _controllers)
        {
            if (!byMount.TryGetValue(mount, out var dir))
                byMount[mount] = dir = Join(mount, path);
            controllers[controller] = dir;
        }
        var unified = Unified is null ? null : Join(Unified, path);
        return new CgroupPaths(path, Mode, controllers, unified);
    }

    /// <summary>Normalizes a cgroupfs-driver path to "/a/b/c" form.</summary>
    public static string Normalize(string cgroupsPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cgroupsPath);
        if (cgroupsPath.Contains(':'))
            throw new ArgumentException(
                $"cgroups path {cgroupsPath} looks like a systemd slice path; only the cgroupfs driver is supported", nameof(cgroupsPath));
        var parts = cgroupsPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Any(p => p is "." or ".."))
            throw new ArgumentException($"cgroups path {cgroupsPath} must not contain . or .. segments", nameof(cgroupsPath));
        return "/" + string.Join('/', parts);
    }

    private static string Join(CgroupMount mount, string path)
    {
        // Inside a cgroup namespace or a bind mount the mount shows a sub-tree: strip its root from the path.
        var root = mount.Root.TrimEnd('/');
        var relative = root.Length > 0 && (path == root || path.StartsWith(root + "/", StringComparison.Ordinal))
            ? path[root.Length..]
            : path;
        return relative.Length <= 1 ? mount.MountPoint : mount.MountPoint.TrimEnd('/') + relative;
    }

    private static CgroupMount? PickUnified(IReadOnlyList<CgroupMount> mounts) =>
        mounts.FirstOrDefault(m => m.IsV2 && m.MountPoint == "/sys/fs/cgroup")
        ?? mounts.FirstOrDefault(m => m.IsV2 && m.MountPoint == "/sys/fs/cgroup/unified")
        ?? mounts.FirstOrDefault(m => m.IsV2);
}
