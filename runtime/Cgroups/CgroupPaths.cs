namespace CriShim.Oci.Cgroups;

/// <summary>The directories of one cgroup (an OCI cgroupsPath) in every hierarchy of the host.</summary>
/// <param name="CgroupsPath">The normalized hierarchy path, e.g. /kubepods/besteffort/pod123/abc.</param>
/// <param name="Mode">The host's cgroup mode.</param>
/// <param name="Controllers">Controller name (cpu, memory, name=systemd, ...) to its directory for this cgroup.</param>
/// <param name="Unified">The directory in the cgroup2 hierarchy, when the host has one.</param>
public sealed record CgroupPaths(
    string CgroupsPath,
    CgroupMode Mode,
    IReadOnlyDictionary<string, string> Controllers,
    string? Unified)
{
    /// <summary>The directory for a controller, or null when the host does not mount it.</summary>
    public string? For(string controller) => Controllers.GetValueOrDefault(controller);

    /// <summary>Every distinct directory of this cgroup (one per hierarchy, v1 and v2), as runc creates them.</summary>
    public IReadOnlyList<string> AllDirectories =>
        Controllers.Values.Append(Unified).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>True when the cgroup directory exists in at least one hierarchy.</summary>
    public bool Exists => AllDirectories.Any(Directory.Exists);
}
