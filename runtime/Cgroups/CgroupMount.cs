namespace CriShim.Oci.Cgroups;

/// <summary>One cgroup hierarchy mount from /proc/self/mountinfo.</summary>
/// <param name="MountPoint">Where the hierarchy is mounted, e.g. /sys/fs/cgroup/memory.</param>
/// <param name="Root">The hierarchy path seen at the mount point ("/" unless inside a cgroup namespace or a bind mount).</param>
/// <param name="IsV2">True for a cgroup2 mount.</param>
/// <param name="Controllers">v1 controllers of the hierarchy (including named ones like "name=systemd"); empty for cgroup2.</param>
public sealed record CgroupMount(string MountPoint, string Root, bool IsV2, IReadOnlyList<string> Controllers);
