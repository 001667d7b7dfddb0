namespace CriShim.Bench.Workloads;

/// <summary>How much of each workload one run does.</summary>
sealed record BenchSettings(
    bool Quick,
    int LifecycleIterations,
    IReadOnlyList<int> BurstSizes,
    int BurstRounds,
    int DensityPods,
    int QueryCalls,
    int ImageRounds,
    int Parallelism,
    int CrictlIterations)
{
    public static BenchSettings Full(int iterations) => new(false, iterations, [10, 50], 3, 100, 300, 5, 8, iterations);

    /// <summary>A smoke run of about two minutes: every workload, small.</summary>
    public static BenchSettings QuickRun(int? iterations) => new(true, iterations ?? 5, [10], 1, 20, 50, 2, 8, Math.Min(iterations ?? 3, 3));
}
