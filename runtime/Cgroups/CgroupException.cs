namespace CriShim.Oci.Cgroups;

/// <summary>A cgroup control file could not be written (the kernel rejected the value, or the cgroup is gone).</summary>
public class CgroupException(string message, Exception? inner = null) : Exception(message, inner);
