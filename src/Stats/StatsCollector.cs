using CriShim.Config;
using CriShim.Cri;
using CriShim.Oci.Cgroups;
using CriShim.Stores;
using Runtime.V1;

namespace CriShim.Stats;

/// <summary>
/// Builds CRI container and pod stats from cgroup files, the writable layer and the pod's network namespace.
/// Nano cores are computed between consecutive samples of the same container or pod. The single-container and
/// single-pod RPCs read now; the List ones answer from the housekeeping samples (<see cref="SampleCache{T}"/>), so
/// their cost does not grow with a dozen file reads and a layer walk per container.
/// </summary>
public sealed class StatsCollector(
    DaemonLayout layout, CgroupStatsReader cgroups, NanoCoresTracker cores, FilesystemUsageCache fsUsage,
    NetworkStatsReader network, ContainerStore containers, RuntimeClasses.RuntimeClassRegistry handlers, ListItemCache items) : IDisposable
{
    /// <summary>How many containers' stats are read at once: the cgroup reads are blocking file reads, a sandbox's a process.</summary>
    static readonly int Parallelism = Math.Clamp(Environment.ProcessorCount, 2, 8);

    /// <summary>Housekeeping: a sample is answered as it is for 2 s (the layer walk cache's age), and with a refresh behind it up to kubelet's 10 s.</summary>
    internal static readonly TimeSpan Fresh = TimeSpan.FromSeconds(2), MaxAge = TimeSpan.FromSeconds(10);

    readonly SampleCache<ContainerStats> _containerSamples = new(Fresh, MaxAge);
    readonly SampleCache<PodOwnStats> _podSamples = new(Fresh, MaxAge);

    /// <summary>What a pod's stats hold beyond its containers'. Shared between responses: never change one.</summary>
    sealed record PodOwnStats(CpuUsage Cpu, MemoryUsage Memory, ProcessUsage Process, NetworkUsage? Network);

    public string WritableLayerDir(string containerId) => layout.WritableUpper(containerId);

    /// <summary>The container's stats read now (ContainerStats).</summary>
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

    /// <summary>
    /// Stats of many containers (ListContainerStats, pod stats), in the order given, from the housekeeping samples;
    /// the containers without one are read a few at a time. The messages are shared between responses: never change one.
    /// </summary>
    public Task<ContainerStats[]> ContainersAsync(IReadOnlyList<(ContainerRecord Container, PodRecord? Pod)> selected, CancellationToken ct) =>
        FromSamplesAsync(_containerSamples, selected, s => s.Container.Id, (s, t) => ContainerAsync(s.Container, s.Pod, t), ct);

    /// <summary>The pod's stats read now (PodSandboxStats).</summary>
    public async Task<PodSandboxStats> PodAsync(PodRecord pod, CancellationToken ct)
    {
        var (members, running) = Members(pod);
        var own = await PodOwnAsync(pod, members, ct);
        return PodStats(pod, own, await ReadAsync(running, (s, t) => ContainerAsync(s.Container, s.Pod, t), ct));
    }

    /// <summary>Stats of many pods (ListPodSandboxStats, metrics), in the order given, from the housekeeping samples.</summary>
    public async Task<PodSandboxStats[]> PodsAsync(IReadOnlyList<PodRecord> selected, CancellationToken ct)
    {
        var members = selected.Select(Members).ToArray();
        var own = await FromSamplesAsync(_podSamples, Enumerable.Range(0, selected.Count).ToArray(), i => selected[i].Id,
            (i, t) => PodOwnAsync(selected[i], members[i].All, t), ct);
        // All pods' containers in one batch, so the ones without a sample are read in parallel across pods too.
        var all = await ContainersAsync(members.SelectMany(m => m.Running).ToList(), ct);
        var result = new PodSandboxStats[selected.Count];
        for (int i = 0, next = 0; i < selected.Count; next += members[i].Running.Count, i++)
            result[i] = PodStats(selected[i], own[i], all[next..(next + members[i].Running.Count)]);
        return result;
    }

    (List<ContainerRecord> All, List<(ContainerRecord Container, PodRecord? Pod)> Running) Members(PodRecord pod)
    {
        var members = containers.InPod(pod.Id).Where(c => c.Complete).ToList();
        return (members, members.Where(c => c.State == ContainerRunState.Running).Select(c => (c, (PodRecord?)pod)).ToList());
    }

    PodSandboxStats PodStats(PodRecord pod, PodOwnStats own, ContainerStats[] members)
    {
        var stats = new PodSandboxStats
        {
            Attributes = items.AttributesOf(pod),
            Linux = new LinuxPodSandboxStats { Cpu = own.Cpu, Memory = own.Memory, Process = own.Process, Network = own.Network },
        };
        stats.Linux.Containers.Add(members);
        return stats;
    }

    async Task<PodOwnStats> PodOwnAsync(PodRecord pod, List<ContainerRecord> members, CancellationToken ct)
    {
        var now = RecordMapping.UnixNanos(DateTimeOffset.UtcNow);
        // The pod's own cgroup when kubelet gave one; else where the runtime kind counts the pod.
        var sample = !string.IsNullOrEmpty(pod.CgroupParent) ? cgroups.Read(pod.CgroupParent)
            : handlers.ForOrDefault(pod).Kind.PodUsage(pod, members.Select(c => c.Id), cgroups);
        NetworkUsage? networkUsage = null;
        if (pod.NetNsPath is { } netns && File.Exists(netns) && await network.ReadNetworkStatsAsync(netns, ct) is { } net)
        {
            networkUsage = new NetworkUsage { Timestamp = net.TimestampNanos };
            foreach (var i in net.Interfaces.Where(i => i.Name != "lo"))
            {
                var usage = new NetworkInterfaceUsage
                {
                    Name = i.Name, RxBytes = new UInt64Value { Value = i.RxBytes }, RxErrors = new UInt64Value { Value = i.RxErrors },
                    TxBytes = new UInt64Value { Value = i.TxBytes }, TxErrors = new UInt64Value { Value = i.TxErrors },
                };
                networkUsage.Interfaces.Add(usage);
                if (i.Name == "eth0") networkUsage.DefaultInterface = usage;
            }
        }
        return new PodOwnStats(Cpu(PodKey(pod.Id), sample, now), Memory(sample, now),
            new ProcessUsage { Timestamp = now, ProcessCount = new UInt64Value { Value = sample?.PidsCurrent ?? 0 } }, networkUsage);
    }

    /// <summary>Each item's sample from the cache, in order; the missing ones taken (and kept) a few at a time.</summary>
    static async Task<TSample[]> FromSamplesAsync<TItem, TSample>(SampleCache<TSample> cache, IReadOnlyList<TItem> selected,
        Func<TItem, string> key, Func<TItem, CancellationToken, Task<TSample>> take, CancellationToken ct) where TSample : class
    {
        var results = new TSample[selected.Count];
        var missing = new List<int>();
        for (var i = 0; i < selected.Count; i++)
        {
            var item = selected[i];
            if (!cache.TryGet(key(item), t => take(item, t), out results[i])) missing.Add(i);
        }
        var taken = await ReadAsync(missing, (i, t) => cache.TakeAsync(key(selected[i]), t2 => take(selected[i], t2), t), ct);
        for (var m = 0; m < missing.Count; m++) results[missing[m]] = taken[m];
        return results;
    }

    /// <summary>One read per item, in order, a few at a time: the cgroup reads are blocking file reads.</summary>
    static async Task<TResult[]> ReadAsync<TItem, TResult>(IReadOnlyList<TItem> items, Func<TItem, CancellationToken, Task<TResult>> read, CancellationToken ct)
    {
        var results = new TResult[items.Count];
        if (items.Count == 1) results[0] = await read(items[0], ct);
        else if (items.Count > 1)
            await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
                async (i, t) => results[i] = await read(items[i], t));
        return results;
    }

    /// <summary>Drops what is kept between samples of a removed container or pod (CPU history, layer walk).</summary>
    public void Forget(string id)
    {
        cores.Forget(id);
        cores.Forget(PodKey(id));
        fsUsage.Invalidate(WritableLayerDir(id));
        _containerSamples.Forget(id);
        _podSamples.Forget(id);
    }

    public void Dispose()
    {
        _containerSamples.Dispose();
        _podSamples.Dispose();
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
