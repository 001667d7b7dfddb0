namespace CriShim.Oci.Cgroups;

/// <summary>Turns two cumulative CPU samples into a rate: nano cores (1e9 = one full core busy).</summary>
public static class NanoCoresCalculator
{
    /// <summary>
    /// (delta usage ns / delta time ns) * 1e9. Null when the samples are not in time order or usage went
    /// backwards (the cgroup was recreated), as a rate would be meaningless.
    /// </summary>
    public static ulong? Compute(CpuSample previous, CpuSample current)
    {
        var elapsed = current.TimestampNanos - previous.TimestampNanos;
        if (elapsed <= 0 || current.UsageCoreNanoSeconds < previous.UsageCoreNanoSeconds)
            return null;
        var used = current.UsageCoreNanoSeconds - previous.UsageCoreNanoSeconds;
        return (ulong)((double)used / elapsed * 1_000_000_000d);
    }
}
