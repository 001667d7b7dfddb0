namespace CriShim.Oci.Cgroups;

/// <summary>The interfaces of one network namespace at a point in time.</summary>
/// <param name="TimestampNanos">Unix nanoseconds of the read.</param>
/// <param name="Interfaces">Every interface of the namespace, loopback included, in kernel order.</param>
public sealed record NetworkStats(long TimestampNanos, IReadOnlyList<InterfaceStats> Interfaces)
{
    /// <summary>The interface with this name (e.g. "eth0", the CNI default), or null.</summary>
    public InterfaceStats? Get(string name) => Interfaces.FirstOrDefault(i => i.Name == name);
}
