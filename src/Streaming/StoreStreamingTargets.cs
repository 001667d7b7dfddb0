using CriShim.Stores;
using Runtime.V1;

namespace CriShim.Streaming;

/// <summary>Streaming targets from the daemon's stores: running containers (with their conmon paths) and ready pods.</summary>
public sealed class StoreStreamingTargets(ContainerStore containers, PodStore pods, RuntimeClasses.RuntimeClassRegistry handlers) : IStreamingTargets
{
    public Task<ContainerTarget?> FindRunningContainerAsync(string containerId, CancellationToken ct)
    {
        var record = containers.Find(containerId);
        if (record is not { State: ContainerRunState.Running }) return Task.FromResult<ContainerTarget?>(null);
        var config = ContainerConfig.Parser.ParseFrom(record.Config);
        // The runtime of the container's pod (for runsc, the shim in front of it).
        var handler = handlers.ForOrDefault(pods.Get(record.PodId));
        var paths = handler.Monitor.Paths(record.Id, record.BundleDir);
        return Task.FromResult<ContainerTarget?>(new ContainerTarget(record.Id, record.Id, handler.Monitor,
            paths.AttachSocket, paths.ControlFifo, config.Tty, config.Stdin));
    }

    public Task<PodTarget?> FindReadyPodAsync(string podSandboxId, CancellationToken ct)
    {
        var record = pods.Find(podSandboxId);
        // A host-network pod has no pinned netns: its ports are the daemon's own network namespace's.
        if (record is not { State: PodState.Ready, Complete: true }) return Task.FromResult<PodTarget?>(null);
        // The runtime kind says what to dial in the pod's namespace (a sandbox serves the pod IP from its own stack).
        var address = handlers.ForOrDefault(record).Kind.DialAddress(record);
        return Task.FromResult<PodTarget?>(new PodTarget(record.Id, record.NetNsPath ?? "/proc/self/ns/net", address));
    }
}
