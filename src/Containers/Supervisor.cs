using CriShim.Pods;
using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using CriShim.RuntimeClasses;
using CriShim.Stores;

namespace CriShim.Containers;

/// <summary>
/// Restart recovery and exit tracking, in one place. At start, before the socket serves: half-created pods
/// and containers are torn down, names re-reserved, and each container's state reconciled with what conmon
/// and runc saw while the daemon was down; then what no record owns (bundles, writable layers, monitor state,
/// pod dirs, pins, CNI results) is swept. Each record is recovered on its own under a time limit: one that fails
/// (its runtime binary gone, `runc state` failing, a busy mount) is logged, reported CONTAINER_UNKNOWN or kept for
/// a retry, and the daemon serves anyway. Then exits reported by conmon are recorded as they happen.
/// </summary>
public sealed class Supervisor(
    PodStore pods, ContainerStore containers, PodSandboxManager podManager, ContainerManager containerManager,
    RuntimeClasses.RuntimeClassRegistry handlers, ExitWatcher exits, ILogger<Supervisor> log) : BackgroundService
{
    /// <summary>How long recovering one record may take before it is given up (a hung runtime, a stuck mount).</summary>
    public static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How many records are recovered at once: the work is mostly waiting (runc, exit files, fsync of a changed
    /// record), and a hundred pods one after another would keep the socket from serving for seconds.</summary>
    public const int RecoveryParallelism = 8;

    public async Task RecoverAsync(CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await InParallelAsync(pods.All.ToList(), pod => IsolatedAsync("pod", pod.Id, t => RecoverPodAsync(pod, t), null, ct), ct);
        var live = containers.All.ToList();
        var listed = await ListRuntimeStatesAsync(live, ct);
        await InParallelAsync(live, c => IsolatedAsync("container", c.Id, t => RecoverContainerAsync(c, listed, t), e => MarkUnknownAsync(c.Id, e.Message), ct), ct);
        await SweepOrphansAsync(ct);
        log.LogInformation("recovered {Pods} pods and {Containers} containers in {Milliseconds} ms", pods.All.Count, containers.All.Count, clock.ElapsedMilliseconds);
    }

    static Task InParallelAsync<T>(IReadOnlyList<T> items, Func<T, Task> recover, CancellationToken ct) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = RecoveryParallelism, CancellationToken = ct }, async (item, _) => await recover(item));

    /// <summary>
    /// One `runc list` per runtime handler that has containers to reconcile, instead of one `runc state` per
    /// container. A handler whose list fails (or is not usable) is absent: its containers ask `runc state` one by one.
    /// </summary>
    async Task<IReadOnlyDictionary<RuntimeClass, IReadOnlyDictionary<string, RuncState>>> ListRuntimeStatesAsync(
        IEnumerable<ContainerRecord> records, CancellationToken ct)
    {
        var result = new Dictionary<RuntimeClass, IReadOnlyDictionary<string, RuncState>>();
        var wanted = records.Where(c => c.Complete && c.State != ContainerRunState.Exited && pods.Get(c.PodId) is not null)
            .Select(c => handlers.ForOrDefault(pods.Get(c.PodId))).Where(h => h.IsUsable).Distinct();
        foreach (var handler in wanted)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(RecordTimeout);
            try
            {
                var states = await handler.Monitor.Runc.ListAsync(limit.Token);
                result[handler] = states.GroupBy(s => s.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                log.LogWarning(e, "listing the containers of runtime handler {Handler} failed; asking for each container's state instead", handler.Name);
            }
        }
        return result;
    }

    async Task RecoverPodAsync(PodRecord pod, CancellationToken ct)
    {
        if (!pod.Complete)
        {
            log.LogWarning("pod {PodId} was half-created when the daemon stopped; removing it", pod.Id);
            var failed = await podManager.TearDownAsync(pod, ct);
            if (failed.Count > 0) throw new IOException($"tearing down the half-created pod failed ({string.Join("; ", failed)}); kept for the next start");
            await pods.DeleteAsync(pod.Id);
            return;
        }
        pods.Names.Reserve(pod.ReservedName, pod.Id);
        // After a reboot the pinned namespaces are gone: the pod can no longer be ready.
        if (pod.State == PodState.Ready && pod.NetNsPath is { } netns && !File.Exists(netns))
            await pods.UpdateAsync(pod.Id, p => p with { State = PodState.NotReady }, ct);
    }

    async Task RecoverContainerAsync(ContainerRecord c,
        IReadOnlyDictionary<RuntimeClass, IReadOnlyDictionary<string, RuncState>> listed, CancellationToken ct)
    {
        if (!c.Complete || pods.Get(c.PodId) is null)
        {
            log.LogWarning("container {ContainerId} was half-created when the daemon stopped; removing it", c.Id);
            await containerManager.TearDownAsync(c);
            await containers.DeleteAsync(c.Id);
            return;
        }
        containers.Names.Reserve(c.ReservedName, c.Id);
        if (c.State is ContainerRunState.Exited) return;
        var handler = handlers.ForOrDefault(pods.Get(c.PodId));
        // conmon's exit file needs no runtime: an exit while the daemon was down is seen even if runc is gone.
        if (handler.Monitor.ReadExit(c.Id) is { } exit) { await containerManager.RecordExitAsync(exit); return; }
        if (handler.Problem is { } problem) throw new InvalidOperationException($"runtime handler \"{handler.Name}\": {problem}");
        // Not in the handler's list (rare: its runtime state is gone or unreadable): `runc state` says which.
        var state = listed.GetValueOrDefault(handler)?.GetValueOrDefault(c.Id) ?? await handler.Monitor.Runc.StateAsync(c.Id, ct);
        if (state is null || state.IsStopped)
            await containerManager.RecordExitAsync(new ContainerExit(c.Id, ContainerExitCodes.Unknown, DateTimeOffset.UtcNow));
        else if (state.IsCreated && c.State == ContainerRunState.Unknown)
            await containers.UpdateAsync(c.Id, r => r with { State = ContainerRunState.Created, Reason = "", Message = "" }, ct);
        else if (!state.IsCreated && c.State is ContainerRunState.Created or ContainerRunState.Unknown)
            await containers.UpdateAsync(c.Id, r => r with { State = ContainerRunState.Running, StartedAt = r.StartedAt ?? DateTimeOffset.UtcNow, Reason = "", Message = "" }, ct);
    }

    /// <summary>A container whose state cannot be learned is reported as CONTAINER_UNKNOWN with the reason; the next
    /// start tries again.</summary>
    async Task MarkUnknownAsync(string id, string why) =>
        await containers.UpdateAsync(id, r => r.State == ContainerRunState.Exited ? r
            : r with { State = ContainerRunState.Unknown, Reason = ContainerExitReasons.RecoveryFailed, Message = $"state after the daemon restart is unknown: {why}" });

    /// <summary>Whatever a crash or an unreadable record left without an owner. Container IDs include pods' infra
    /// containers (their ID is the pod's), so those are left to the pod sweep.</summary>
    async Task SweepOrphansAsync(CancellationToken ct)
    {
        var containerIds = containerManager.IdsOnDisk().Concat(handlers.Default.Monitor.KnownContainers()).Distinct()
            .Where(id => containers.Get(id) is null && pods.Get(id) is null).ToList();
        foreach (var id in containerIds)
            await IsolatedAsync("orphaned container", id, async t =>
            {
                log.LogWarning("container {ContainerId} has no record; sweeping what it left", id);
                await containerManager.SweepOrphanAsync(id, t);
            }, null, ct);
        foreach (var id in podManager.IdsOnDisk().Where(id => pods.Get(id) is null).ToList())
            await IsolatedAsync("orphaned pod", id, async t =>
            {
                log.LogWarning("pod {PodId} has no record; sweeping what it left", id);
                var failed = await podManager.SweepOrphanAsync(id, t);
                if (failed.Count > 0) throw new IOException(string.Join("; ", failed));
            }, null, ct);
    }

    /// <summary>Runs one record's recovery on its own: a failure or a timeout is logged (then handed to
    /// <paramref name="onFailure"/>) and never stops the others or the daemon.</summary>
    async Task IsolatedAsync(string kind, string id, Func<CancellationToken, Task> recover, Func<Exception, Task>? onFailure, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(RecordTimeout);
        try
        {
            // On the pool, so a blocking call inside (a stuck unmount) cannot hold the time limit up.
            await Task.Run(() => recover(limit.Token), limit.Token).WaitAsync(limit.Token);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            var error = e is OperationCanceledException ? new TimeoutException($"recovery took longer than {RecordTimeout.TotalSeconds:0}s", e) : e;
            log.LogError(error, "recovering {Kind} {Id} failed; the daemon serves without it: {Error}", kind, id, error.Message);
            if (onFailure is null) return;
            try { await onFailure(error); }
            catch (Exception f) { log.LogError(f, "recording the failed recovery of {Kind} {Id}", kind, id); }
        }
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
