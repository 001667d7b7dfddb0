using System.Text;
using CriShim.Oci.Specs.Model;

namespace CriShim.Oci.Specs;

/// <summary>User namespace ID mappings: validation, the /proc/PID/uid_map text, and container → host lookups.</summary>
public static class IdMaps
{
    /// <summary>The kernel accepts at most this many lines in uid_map/gid_map.</summary>
    public const int MaxEntries = 340;

    /// <summary>
    /// Refuses mappings the kernel would refuse (empty, too many, overlapping, overflowing) and those a pod must not
    /// have: container root unmapped (its rootfs needs an owner) or host root mapped in (that is no isolation).
    /// </summary>
    public static void Validate(IReadOnlyList<IdMapping> mappings, string field)
    {
        if (mappings.Count == 0) throw new SpecException($"{field}: a user namespace needs at least one mapping");
        if (mappings.Count > MaxEntries) throw new SpecException($"{field}: {mappings.Count} mappings, the kernel allows at most {MaxEntries}");
        foreach (var m in mappings)
        {
            if (m.Size == 0) throw new SpecException($"{field}: mapping {Describe(m)} has length 0");
            if ((ulong)m.ContainerId + m.Size > 1UL << 32 || (ulong)m.HostId + m.Size > 1UL << 32)
                throw new SpecException($"{field}: mapping {Describe(m)} runs past the 32-bit ID space");
            if (m.HostId == 0) throw new SpecException($"{field}: mapping {Describe(m)} maps host ID 0 into the pod");
        }
        CheckDisjoint(mappings, m => m.ContainerId, "container", field);
        CheckDisjoint(mappings, m => m.HostId, "host", field);
        if (HostIdOf(mappings, 0) is null) throw new SpecException($"{field}: container ID 0 is not mapped");
    }

    /// <summary>The text written to /proc/PID/uid_map (or gid_map): "CONTAINER HOST LENGTH" per line.</summary>
    public static string ProcMap(IReadOnlyList<IdMapping> mappings)
    {
        var sb = new StringBuilder();
        foreach (var m in mappings) sb.Append(m.ContainerId).Append(' ').Append(m.HostId).Append(' ').Append(m.Size).Append('\n');
        return sb.ToString();
    }

    /// <summary>The host ID a container ID maps to, or null when it is not mapped.</summary>
    public static uint? HostIdOf(IReadOnlyList<IdMapping> mappings, uint containerId)
    {
        foreach (var m in mappings)
            if (containerId >= m.ContainerId && containerId - m.ContainerId < m.Size) return m.HostId + (containerId - m.ContainerId);
        return null;
    }

    static void CheckDisjoint(IReadOnlyList<IdMapping> mappings, Func<IdMapping, uint> start, string side, string field)
    {
        var sorted = mappings.OrderBy(start).ToList();
        for (var i = 1; i < sorted.Count; i++)
            if ((ulong)start(sorted[i - 1]) + sorted[i - 1].Size > start(sorted[i]))
                throw new SpecException($"{field}: {side} ID ranges of {Describe(sorted[i - 1])} and {Describe(sorted[i])} overlap");
    }

    static string Describe(IdMapping m) => $"{m.ContainerId}→{m.HostId} (length {m.Size})";
}
