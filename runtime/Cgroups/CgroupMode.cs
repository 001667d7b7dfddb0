namespace CriShim.Oci.Cgroups;

/// <summary>How the host mounts cgroups.</summary>
public enum CgroupMode
{
    /// <summary>Only v1 hierarchies (one mount per controller or controller group).</summary>
    V1,

    /// <summary>v1 hierarchies plus a cgroup2 mount (usually /sys/fs/cgroup/unified) holding the leftover controllers.</summary>
    Hybrid,

    /// <summary>A single cgroup2 hierarchy holds every controller.</summary>
    V2,
}
