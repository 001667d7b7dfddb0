namespace CriShim.Oci.Cgroups;

/// <summary>The cgroup exists in none of the host's hierarchies.</summary>
public sealed class CgroupNotFoundException(string cgroupsPath)
    : CgroupException($"cgroup {cgroupsPath} does not exist in any hierarchy")
{
    public string CgroupsPath { get; } = cgroupsPath;
}
