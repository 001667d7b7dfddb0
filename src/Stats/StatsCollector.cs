using CriShim.Config;
using CriShim.Cri;
using CriShim.Oci.Cgroups;
using CriShim.Stores;
using Runtime.V1;

namespace CriShim.Stats;

/// <summary>
/// Builds CRI container and pod stats from cgroup files, the writable layer and the pod's network namespace.
/// Nano cores are computed between consecutive samples of the same container or pod.
/// </summary>
public sealed class StatsCollector(
    DaemonLayout layout, CgroupStatsReader cgroups, NanoCoresTracker cores, FilesystemUsageCache fsUsage,
    NetworkStatsReader network, ContainerStore containers, RuntimeClasses.RuntimeClassRegistry handlers, ListItemCache items)
{
    /// <summary>How many containers' stats are read at once: the cgroup reads are blocking file reads, a sandbox's a process.</summary>
    static readonly int Parallelism = Math.Clamp(Environment.ProcessorCount, 2, 8);

    public string WritableLayerDir(string containerId) => layout.WritableUpper(containerId);

    public async Task<ContainerStats> ContainerAsync(ContainerRecord c, PodRecord? pod, CancellationToken ct)
    {
        var stats = new ContainerStats { Attributes = items.AttributesOf(c) };
        var now = RecordMapping.UnixNanos(DateTimeOffset.UtcNow);
        var handler = handlers.ForOrDefault(pod);
        var sample = pod is null ? null : await handler.Kind.ContainerUsageAsync(handler, c.Id, CgroupNaming.For(pod, c.Id), cgroups, ct);
        stats.Cpu = Cpu(c.Id, sample, now);
        stats.Memory = Memory(sample, now);
        var usage = await fsUsage.GetAsync(WritableLayerDir(c.Id), ct);
        stats.WritableLayer = new global::Runtime.V1.FilesystemUsage
        {
            Timestamp = usage?.TimestampNanos ?? now,
            FsId = new FilesystemIdentifier { Mountpoint = layout.WritableLayers },
            UsedBytes = new UInt64Value { Value = usage?.UsedBytes ?? 0 },
            InodesUsed = new UInt64Value { Value = usage?.InodesUsed ?? 0 },
        };
        return stats;
    }

    /// <summary>Stats of many containers, in the order given, a few read at a time.</summary>
    public async Task<ContainerStats[]> ContainersAsync(IReadOnlyList<(ContainerRecord Container, PodRecord? Pod)> selected, CancellationToken ct)
    {
        var results = new ContainerStats[selected.Count];
        if (selected.Count == 1) results[0] = await ContainerAsync(selected[0].Container, selected[0].Pod, ct);
        else if (selected.Count > 1)
            await Parallel.ForEachAsync(Enumerable.Range(0, selected.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
                async (i, t) => results[i] = await ContainerAsync(selected[i].Container, selected[i].Pod, t));
        return results;
    }

    public async Task<PodSandboxStats> PodAsync(PodRecord pod, CancellationToken ct)
    {
        var config = pod.PodConfig();
        var stats = new PodSandboxStats
        {
            Attributes = new PodSandboxAttributes { Id = pod.Id, Metadata = config.Metadata },
            Linux = new LinuxPodSandboxStats(),
        };
        stats.Attributes.Labels.Add(config.Labels);
        stats.Attributes.Annotations.Add(config.Annotations);
        var now = RecordMapping.UnixNanos(DateTimeOffset.UtcNow);
        var members = containers.InPod(pod.Id).Where(c => c.Complete).ToList();
        stats.Linux.Containers.Add(await ContainersAsync(members.Where(c => c.State == ContainerRunState.Running).Select(c => (c, (PodRecord?)pod)).ToList(), ct));

        // The pod's own cgroup when kubelet gave one; else where the runtime kind counts the pod.
        var sample = !string.IsNullOrEmpty(pod.CgroupParent) ? cgroups.Read(pod.CgroupParent)
            : handlers.ForOrDefault(pod).Kind.PodUsage(pod, members.Select(c => c.Id), cgroups);
        stats.Linux.Cpu = Cpu(PodKey(pod.Id), sample, now);
        stats.Linux.Memory = Memory(sample, now);
        stats.Linux.Process = new ProcessUsage { Timestamp = now, ProcessCount = new UInt64Value { Value = sample?.PidsCurrent ?? 0 } };
        if (pod.NetNsPath is { } netns && File.Exists(netns) && await network.ReadNetworkStatsAsync(netns, ct) is { } net)
        {
            stats.Linux.Network = new NetworkUsage { Timestamp = net.TimestampNanos };
            foreach (var i in net.Interfaces.Where(i => i.Name != "lo"))
            {
                var usage = new NetworkInterfaceUsage
                {
                    Name = i.Name, RxBytes = new UInt64Value { Value = i.RxBytes }, RxErrors = new UInt64Value { Value = i.RxErrors },
                    TxBytes = new UInt64Value { Value = i.TxBytes }, TxErrors = new UInt64Value { Value = i.TxErrors },
                };
                stats.Linux.Network.Interfaces.Add(usage);
                if (i.Name == "eth0") stats.Linux.Network.DefaultInterface = usage;
            }
        }
        return stats;
    }

    /// <summary>Drops what is kept between samples of a removed container or pod (CPU history, layer walk).</summary>
    public void Forget(string id)
    {
        cores.Forget(id);
        cores.Forget(PodKey(id));
        fsUsage.Invalidate(WritableLayerDir(id));
    }

    static string PodKey(string podId) => "pod:" + podId;

    CpuUsage Cpu(string id, CgroupStats? sample, long now)
    {
        var cpu = new CpuUsage { Timestamp = sample?.TimestampNanos ?? now };
        if (sample?.CpuUsageCoreNanoSeconds is { } usage) cpu.UsageCoreNanoSeconds = new UInt64Value { Value = usage };
        if (sample?.CpuSample is { } s && cores.Update(id, s) is { } nano) cpu.UsageNanoCores = new UInt64Value { Value = nano };
        return cpu;
    }

    static MemoryUsage Memory(CgroupStats? sample, long now)
    {
        var memory = new MemoryUsage { Timestamp = sample?.TimestampNanos ?? now };
        if (sample is null) return memory;
        if (sample.MemoryWorkingSetBytes is { } ws) memory.WorkingSetBytes = new UInt64Value { Value = ws };
        if (sample.MemoryAvailableBytes is { } av) memory.AvailableBytes = new UInt64Value { Value = av };
        if (sample.MemoryUsageBytes is { } u) memory.UsageBytes = new UInt64Value { Value = u };
        if (sample.MemoryRssBytes is { } rss) memory.RssBytes = new UInt64Value { Value = rss };
        if (sample.MemoryPageFaults is { } pf) memory.PageFaults = new UInt64Value { Value = pf };
        if (sample.MemoryMajorPageFaults is { } mpf) memory.MajorPageFaults = new UInt64Value { Value = mpf };
        return memory;
    }
}
