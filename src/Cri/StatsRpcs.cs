using CriShim.Stats;
using CriShim.Stores;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>ContainerStats, PodSandboxStats and their List/Stream variants.</summary>
public sealed partial class StatsRpcs(StatsCollector statsCollector, PodStore pods, ContainerStore containers, StoreLookups lookups)
{
    public async Task<ContainerStatsResponse> ContainerStats(ContainerStatsRequest request, ServerCallContext context)
    {
        var c = lookups.RequireContainer(request.ContainerId);
        return new ContainerStatsResponse { Stats = await statsCollector.ContainerAsync(c, pods.Get(c.PodId), context.CancellationToken) };
    }

    public async Task<ListContainerStatsResponse> ListContainerStats(ListContainerStatsRequest request, ServerCallContext context) =>
        new() { Stats = { await CollectContainerStats(request.Filter, context.CancellationToken) } };

    public async Task StreamContainerStats(StreamContainerStatsRequest request, IServerStreamWriter<StreamContainerStatsResponse> responseStream, ServerCallContext context) =>
        await StreamPaging.StreamPages(await CollectContainerStats(request.Filter, context.CancellationToken),
            page => new StreamContainerStatsResponse { ContainerStats = { page } }, responseStream, context.CancellationToken);

    /// <summary>The List/Stream twins' stats of the selected running containers, from the housekeeping samples.</summary>
    Task<ContainerStats[]> CollectContainerStats(ContainerStatsFilter? filter, CancellationToken ct)
    {
        // kubelet wants stats of running containers only, as containerd answers.
        var selected = lookups.FilterContainers(filter is null ? null : new ContainerFilter { Id = filter.Id, PodSandboxId = filter.PodSandboxId, LabelSelector = { filter.LabelSelector } })
            .Where(c => c.State == ContainerRunState.Running)
            .Select(c => (c, pods.Get(c.PodId)))
            .ToList();
        return statsCollector.ContainersAsync(selected, ct);
    }

    public async Task<PodSandboxStatsResponse> PodSandboxStats(PodSandboxStatsRequest request, ServerCallContext context) =>
        new() { Stats = await statsCollector.PodAsync(lookups.RequirePod(request.PodSandboxId), context.CancellationToken) };

    public async Task<ListPodSandboxStatsResponse> ListPodSandboxStats(ListPodSandboxStatsRequest request, ServerCallContext context) =>
        new() { Stats = { await CollectPodStats(request.Filter, context.CancellationToken) } };

    public async Task StreamPodSandboxStats(StreamPodSandboxStatsRequest request, IServerStreamWriter<StreamPodSandboxStatsResponse> responseStream, ServerCallContext context) =>
        await StreamPaging.StreamPages(await CollectPodStats(request.Filter, context.CancellationToken),
            page => new StreamPodSandboxStatsResponse { PodSandboxStats = { page } }, responseStream, context.CancellationToken);

    /// <summary>The List/Stream twins' stats of the selected ready pods, from the housekeeping samples.</summary>
    Task<PodSandboxStats[]> CollectPodStats(PodSandboxStatsFilter? filter, CancellationToken ct) =>
        statsCollector.PodsAsync(lookups.FilterPods(filter is null ? null : new PodSandboxFilter { Id = filter.Id, LabelSelector = { filter.LabelSelector } })
            .Where(p => p.State == PodState.Ready).ToList(), ct);
}
