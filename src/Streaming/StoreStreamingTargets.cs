using CriShim.Runtime.Monitor;
using CriShim.Runtime.Runc;
using CriShim.Stores;
using Runtime.V1;

namespace CriShim.Streaming;

/// <summary>Streaming targets from the daemon's stores: running containers (with their conmon paths) and ready pods.</summary>
public sealed class StoreStreamingTargets(ContainerStore containers, PodStore pods, ContainerMonitor monitor, RuncClient runc) : IStreamingTargets
{
    public Task<ContainerTarget?> FindRunningContainerAsync(string containerId, CancellationToken ct)
    {
        var record = containers.Find(containerId);
        if (record is not { State: ContainerRunState.Running }) return Task.FromResult<ContainerTarget?>(null);
        var config = ContainerConfig.Parser.ParseFrom(record.Config);
        var paths = monitor.Paths(record.Id, record.BundleDir);
        return Task.FromResult<ContainerTarget?>(new ContainerTarget(record.Id, record.Id, runc.Binary, runc.Root,
            paths.AttachSocket, paths.ControlFifo, config.Tty, config.Stdin));
    }

    public Task<PodTarget?> FindReadyPodAsync(string podSandboxId, CancellationToken ct)
    {
        var record = pods.Find(podSandboxId);
        // A host-network pod has no pinned netns: its ports are the daemon's own network namespace's.
        return Task.FromResult(record is { State: PodState.Ready, Complete: true }
            ? new PodTarget(record.Id, record.NetNsPath ?? "/proc/self/ns/net")
            : null);
    }
}
