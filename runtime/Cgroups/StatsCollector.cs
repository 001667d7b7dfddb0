using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Oci.Cgroups;

/// <summary>
/// One entry point for the stats RPCs: keeps the per-container/per-pod CPU history needed for nano cores and
/// caches writable-layer walks. Register as a singleton; call <see cref="Forget"/> when a container or pod is removed.
/// </summary>
public sealed class StatsCollector(
    CgroupStatsReader cgroups,
    NetworkStatsReader network,
    FilesystemUsageCache filesystem,
    ILogger<StatsCollector>? logger = null)
{
    private const string PodKeyPrefix = "pod/";
    private readonly NanoCoresTracker _cpu = new();
    private readonly ILogger _logger = logger ?? NullLogger<StatsCollector>.Instance;

    /// <summary>Builds a collector with default readers for the detected layout.</summary>
    public static StatsCollector Create(CgroupLayout layout, ILoggerFactory? loggers = null) => new(
        new CgroupStatsReader(layout),
        new NetworkStatsReader(loggers?.CreateLogger<NetworkStatsReader>()),
        new FilesystemUsageCache(),
        loggers?.CreateLogger<StatsCollector>());

    /// <summary>Usage of a container; null when its cgroup no longer (or not yet) exists.</summary>
    /// <param name="containerId">Key of the CPU history.</param>
    /// <param name="cgroupsPath">The OCI linux.cgroupsPath of the container.</param>
    /// <param name="writableLayerDir">The overlay upperdir, or null to skip the filesystem walk.</param>
    public async Task<ContainerUsage?> ReadContainerAsync(string containerId, string cgroupsPath, string? writableLayerDir,
        CancellationToken cancellationToken = default)
    {
        var stats = cgroups.Read(cgroupsPath);
        if (stats is null)
            return null;
        var nanoCores = stats.CpuSample is { } sample ? _cpu.Update(containerId, sample) : null;
        var layer = writableLayerDir is null ? null : await filesystem.GetAsync(writableLayerDir, cancellationToken).ConfigureAwait(false);
        return new ContainerUsage(stats, nanoCores, layer);
    }

    /// <summary>Usage of a pod: its parent cgroup (cgroup_parent) and network namespace (pinned netns file, or null for host network).</summary>
    public async Task<PodUsage> ReadPodAsync(string podId, string? podCgroupsPath, string? netnsPath,
        CancellationToken cancellationToken = default)
    {
        var stats = string.IsNullOrEmpty(podCgroupsPath) ? null : cgroups.Read(podCgroupsPath);
        var nanoCores = stats?.CpuSample is { } sample ? _cpu.Update(PodKeyPrefix + podId, sample) : null;
        NetworkStats? net = null;
        if (!string.IsNullOrEmpty(netnsPath))
        {
            try
            {
                net = await network.ReadNetworkStatsAsync(netnsPath, cancellationToken).ConfigureAwait(false);
            }
            catch (NetworkNamespaceException e)
            {
                // Stats are best effort: a broken namespace must not fail the whole pod's stats.
                _logger.LogWarning(e, "Cannot read network stats of pod {PodId} from {NetnsPath}", podId, netnsPath);
            }
        }
        return new PodUsage(stats, nanoCores, net);
    }

    /// <summary>Drops the CPU history (and cached layer walk) of a removed container or pod.</summary>
    public void Forget(string id, string? writableLayerDir = null)
    {
        _cpu.Forget(id);
        _cpu.Forget(PodKeyPrefix + id);
        if (writableLayerDir is not null)
            filesystem.Invalidate(writableLayerDir);
    }
}
