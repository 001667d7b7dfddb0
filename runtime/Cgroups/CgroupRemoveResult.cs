namespace CriShim.Oci.Cgroups;

/// <summary>A cgroup directory that could not be removed.</summary>
/// <param name="Directory">The directory in one hierarchy.</param>
/// <param name="Reason">Why, e.g. "EBUSY: processes remain".</param>
/// <param name="Pids">Processes still in it (from cgroup.procs), when it is busy.</param>
public sealed record CgroupRemoveFailure(string Directory, string Reason, IReadOnlyList<int> Pids);

/// <summary>Outcome of <see cref="CgroupCleaner.RemoveAsync"/>.</summary>
/// <param name="Removed">Directories removed by this call (children before parents).</param>
/// <param name="Failures">Directories left behind, with the reason.</param>
public sealed record CgroupRemoveResult(IReadOnlyList<string> Removed, IReadOnlyList<CgroupRemoveFailure> Failures)
{
    /// <summary>True when nothing of the cgroup is left in any hierarchy.</summary>
    public bool Success => Failures.Count == 0;
}
