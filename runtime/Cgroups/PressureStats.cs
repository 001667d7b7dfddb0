namespace CriShim.Oci.Cgroups;

/// <summary>One line of a PSI file: share of time tasks stalled, and the cumulative stall time.</summary>
/// <param name="TotalNanoSeconds">Cumulative stall time (the kernel reports microseconds; converted).</param>
/// <param name="Avg10">Percent of the last 10 s stalled.</param>
/// <param name="Avg60">Percent of the last 60 s stalled.</param>
/// <param name="Avg300">Percent of the last 300 s stalled.</param>
public sealed record PressureData(ulong TotalNanoSeconds, double Avg10, double Avg60, double Avg300);

/// <summary>Pressure stall information of a cgroup2 cgroup (cpu.pressure, memory.pressure).</summary>
/// <param name="Some">Time at least one task stalled.</param>
/// <param name="Full">Time all non-idle tasks stalled at once (null where the kernel does not report it).</param>
public sealed record PressureStats(PressureData? Some, PressureData? Full);
