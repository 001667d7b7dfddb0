using CriShim.Errors;
using CriShim.Pods;
using CriShim.Oci.Cgroups;
using CriShim.Stores;
using Google.Protobuf;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>UpdateContainerResources, UpdatePodSandboxResources and ReopenContainerLog.</summary>
public sealed partial class ContainerRpcs
{
    public async Task<UpdateContainerResourcesResponse> UpdateContainerResources(UpdateContainerResourcesRequest request, ServerCallContext context)
    {
        var c = lookups.RequireContainer(request.ContainerId);
        var resources = request.Linux ?? throw DomainException.Invalid("UpdateContainerResources needs linux resources");
        using var held = await containers.LockAsync(c, context.CancellationToken);
        c = lookups.RequireContainer(c.Id);
        if (c.State is ContainerRunState.Exited) throw DomainException.Precondition($"container \"{c.Id}\" has exited");
        var pod = pods.Get(c.PodId) ?? throw DomainException.NotFound($"pod sandbox \"{c.PodId}\" not found");
        var result = cgroups.Apply(CgroupNaming.For(pod, c.Id), CgroupResourcesOf(resources));
        log.LogInformation("container {ContainerId} resources updated: {Applied}; skipped: {Skipped}", c.Id, result.Applied, result.Skipped);
        // Recorded in the stored config so ContainerStatus reports the resources now in force.
        await containers.UpdateAsync(c.Id, r =>
        {
            var config = r.ContainerConfig().Clone();
            config.Linux ??= new LinuxContainerConfig();
            config.Linux.Resources = resources;
            return r with { Config = config.ToByteArray() };
        }, context.CancellationToken);
        return new UpdateContainerResourcesResponse();
    }

    public async Task<UpdatePodSandboxResourcesResponse> UpdatePodSandboxResources(UpdatePodSandboxResourcesRequest request, ServerCallContext context)
    {
        var pod = lookups.RequirePod(request.PodSandboxId);
        using var held = await pods.LockAsync(pod.Id, context.CancellationToken);
        pod = lookups.RequirePod(pod.Id);
        // kubelet owns the pod-level cgroup under the cgroupfs driver; apply the overhead/limits to it when we know it.
        if (!string.IsNullOrEmpty(pod.CgroupParent) && request.Resources is { } resources)
            cgroups.Apply(pod.CgroupParent, CgroupResourcesOf(resources));
        return new UpdatePodSandboxResourcesResponse();
    }

    static CgroupResources CgroupResourcesOf(LinuxContainerResources r) => new()
    {
        CpuShares = r.CpuShares > 0 ? (ulong)r.CpuShares : null,
        CpuQuota = r.CpuQuota != 0 ? r.CpuQuota : null,
        CpuPeriod = r.CpuPeriod > 0 ? (ulong)r.CpuPeriod : null,
        CpusetCpus = string.IsNullOrEmpty(r.CpusetCpus) ? null : r.CpusetCpus,
        CpusetMems = string.IsNullOrEmpty(r.CpusetMems) ? null : r.CpusetMems,
        MemoryLimitBytes = r.MemoryLimitInBytes > 0 ? r.MemoryLimitInBytes : null,
        MemorySwapLimitBytes = r.MemorySwapLimitInBytes > 0 ? r.MemorySwapLimitInBytes : null,
        HugepageLimits = r.HugepageLimits.Count > 0 ? r.HugepageLimits.ToDictionary(h => h.PageSize, h => h.Limit) : null,
        Unified = r.Unified.Count > 0 ? new Dictionary<string, string>(r.Unified) : null,
    };

    public async Task<ReopenContainerLogResponse> ReopenContainerLog(ReopenContainerLogRequest request, ServerCallContext context)
    {
        var c = lookups.RequireContainer(request.ContainerId);
        if (c.State != ContainerRunState.Running) throw DomainException.Precondition($"container \"{c.Id}\" is not running");
        await runtimeClasses.ForOrDefault(pods.Get(c.PodId)).Monitor.ReopenLogAsync(c.Id, c.BundleDir, context.CancellationToken);
        // conmon reopens asynchronously; kubelet's rotation expects the new file once this call returns.
        for (var waited = 0; !string.IsNullOrEmpty(c.LogPath) && !File.Exists(c.LogPath) && waited < 5000; waited += 10)
            await Task.Delay(10, context.CancellationToken);
        if (!string.IsNullOrEmpty(c.LogPath) && !File.Exists(c.LogPath))
            throw new DomainException(ErrorKind.Unknown, $"conmon did not reopen the log of container \"{c.Id}\"");
        return new ReopenContainerLogResponse();
    }
}
