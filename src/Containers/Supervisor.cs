using CriShim.Pods;
using CriShim.Runtime.Monitor;
using CriShim.Stores;

namespace CriShim.Containers;

/// <summary>
/// Restart recovery and exit tracking, in one place. At start, before the socket serves: half-created pods
/// and containers are torn down, names re-reserved, and each container's state reconciled with what conmon
/// and runc saw while the daemon was down. Then exits reported by conmon are recorded as they happen.
/// </summary>
public sealed class Supervisor(
    PodStore pods, ContainerStore containers, PodSandboxManager podManager, ContainerManager containerManager,
    ContainerMonitor monitor, ExitWatcher exits, ILogger<Supervisor> log) : BackgroundService
{
    public async Task RecoverAsync(CancellationToken ct)
    {
        foreach (var pod in pods.All.ToList())
        {
            if (!pod.Complete)
            {
                log.LogWarning("pod {PodId} was half-created when the daemon stopped; removing it", pod.Id);
                await podManager.TearDownAsync(pod, ct);
                await pods.DeleteAsync(pod.Id);
                continue;
            }
            pods.Names.Reserve(pod.ReservedName, pod.Id);
            // After a reboot the pinned namespaces are gone: the pod can no longer be ready.
            if (pod.State == PodState.Ready && pod.NetNsPath is { } netns && !File.Exists(netns))
                await pods.UpdateAsync(pod.Id, p => p with { State = PodState.NotReady }, ct);
        }
        foreach (var c in containers.All.ToList())
        {
            if (!c.Complete || pods.Get(c.PodId) is null)
            {
                log.LogWarning("container {ContainerId} was half-created when the daemon stopped; removing it", c.Id);
                await containerManager.TearDownAsync(c);
                await containers.DeleteAsync(c.Id);
                continue;
            }
            containers.Names.Reserve(c.ReservedName, c.Id);
            if (c.State is ContainerRunState.Exited) continue;
            if (monitor.ReadExit(c.Id) is { } exit) { await containerManager.RecordExitAsync(exit); continue; }
            var state = await monitor.Runc.StateAsync(c.Id, ct);
            if (state is null || state.IsStopped)
                await containerManager.RecordExitAsync(new ContainerExit(c.Id, 255, DateTimeOffset.UtcNow));
            else if (state.IsRunning && c.State == ContainerRunState.Created)
                await containers.UpdateAsync(c.Id, r => r with { State = ContainerRunState.Running, StartedAt = r.StartedAt ?? DateTimeOffset.UtcNow }, ct);
        }
        log.LogInformation("recovered {Pods} pods and {Containers} containers", pods.All.Count, containers.All.Count);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        exits.Start();
        try
        {
            await foreach (var exit in exits.Exits.ReadAllAsync(stoppingToken))
            {
                try { await containerManager.RecordExitAsync(exit); }
                catch (Exception e) { log.LogError(e, "recording the exit of {ContainerId}", exit.Id); }
            }
        }
        catch (OperationCanceledException) { }
    }
}
