namespace CriShim.Oci.Cgroups;

/// <summary>Cumulative CPU usage at a point in time.</summary>
/// <param name="TimestampNanos">Unix nanoseconds of the sample.</param>
/// <param name="UsageCoreNanoSeconds">Cumulative CPU time, core nanoseconds.</param>
public readonly record struct CpuSample(long TimestampNanos, ulong UsageCoreNanoSeconds);
