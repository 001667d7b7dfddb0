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
    /// <summary>Pods recorded when the daemon is restarted (issue #13: start to serving with 100 pods); fewer when the
    /// density workload makes fewer.</summary>
    public const int RestartPods = 100;

    /// <summary>Containers in each pod of the node memory workload (issue #13: 100 pods × 3 containers).</summary>
    public const int NodeMemoryContainers = 3;

    /// <summary>Pods the node memory workload makes, <see cref="NodeMemoryContainers"/> containers each.</summary>
    public int NodeMemoryPods { get; init; } = 100;

    public static BenchSettings Full(int iterations, int? densityPods = null, int? memoryPods = null) =>
        new(false, iterations, [10, 50], 3, densityPods ?? 250, 300, 5, 8, iterations) { NodeMemoryPods = memoryPods ?? 100 };

    /// <summary>A smoke run of about two minutes: every workload, small.</summary>
    public static BenchSettings QuickRun(int? iterations, int? densityPods = null, int? memoryPods = null) =>
        new(true, iterations ?? 5, [10], 1, densityPods ?? 20, 50, 2, 8, Math.Min(iterations ?? 3, 3)) { NodeMemoryPods = memoryPods ?? 10 };

    /// <summary>The pod counts the density workload measures the queries at: 1, the restart count on the way, and the end.</summary>
    public IReadOnlyList<int> DensityCheckpoints => new[] { 1, RestartAt, DensityPods }.Distinct().Order().ToList();

    /// <summary>How many pods are in place when the density workload restarts the daemon.</summary>
    public int RestartAt => Math.Min(RestartPods, DensityPods);
}
