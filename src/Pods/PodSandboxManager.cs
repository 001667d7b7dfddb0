using CriShim.Errors;
using CriShim.Config;
using CriShim.Containers;
using CriShim.Containers.Specs;
using CriShim.Oci.Specs;
using CriShim.RuntimeClasses;
using CriShim.Stores;
using Runtime.V1;

namespace CriShim.Pods;

/// <summary>
/// Pod sandbox lifecycle: validation, names, records and their state transitions (ready, not ready, removed) under
/// the stores' operation locks, and the pod's containers on stop and remove. What happens on the host (pod files,
/// namespaces, network, infra) is the <see cref="IPodRuntime"/>'s; a failed run, a remove and crash recovery all
/// clean up through its <see cref="IPodRuntime.TearDownAsync"/>.
/// </summary>
public sealed class PodSandboxManager(
    DaemonLayout layout, PodStore pods, ContainerStore containers, ContainerManager containerManager,
    RuntimeClassRegistry handlers, IPodRuntime runtime, Stats.StatsCollector stats, ILogger<PodSandboxManager> log)
{
    public async Task<PodRecord> RunAsync(PodSandboxConfig config, string runtimeHandler, CancellationToken ct)
    {
        PodConfigValidator.Validate(config);
        var handler = handlers.Resolve(runtimeHandler);
        if (!handler.Kind.SupportsUserNamespaces && ContainerSpecMapper.PodUserNamespace(config) is not null)
            throw DomainException.Invalid($"runtime handler \"{handler.Name}\" does not support user namespaces (namespace_options.userns_options mode POD)");
        var meta = config.Metadata;
        var id = Ids.New();
        var record = new PodRecord
        {
            Id = id, Name = meta.Name, Namespace = meta.Namespace, Uid = meta.Uid, Attempt = meta.Attempt,
            Config = Google.Protobuf.MessageExtensions.ToByteArray(config), RuntimeHandler = runtimeHandler,
            CreatedAt = DateTimeOffset.UtcNow, PodDir = layout.PodDir(id),
            CgroupParent = config.Linux?.CgroupParent ?? "",
        };
        using var held = await pods.LockAsync(id, ct);
        if (pods.Names.Reserve(record.ReservedName, id) is { } holder)
            throw DomainException.Exists($"pod sandbox name \"{record.ReservedName}\" is reserved for \"{holder}\"");
        try
        {
            // Persisted first and marked complete last: a crash in between leaves a record that recovery tears down.
            await pods.SaveAsync(record, CancellationToken.None);
            record = await runtime.SetUpAsync(record, config, handler, ct);
            await pods.SaveAsync(record, CancellationToken.None);
            log.LogInformation("pod {PodId} ({Name}/{Namespace}) ready, ip {Ip}", id, meta.Name, meta.Namespace, record.Ip ?? "host");
            return record;
        }
        catch (Exception e)
        {
            log.LogWarning(e, "pod {PodId} failed to start; cleaning up", id);
            // A failed step keeps the half-created record (hidden from List): the next start's recovery retries it.
            // The name is released either way, as kubelet retries the run under the same name.
            if ((await runtime.TearDownAsync(record, CancellationToken.None)).Count == 0) await pods.DeleteAsync(id);
            pods.Names.Release(record.ReservedName, id);
            throw e is SpecException or ArgumentException ? DomainException.Invalid(e.Message) : e;
        }
    }

    /// <summary>Stops every container and the infra process and tears the network down; the pod stays listed, NotReady.</summary>
    public async Task StopAsync(PodRecord pod, CancellationToken ct)
    {
        using var held = await pods.LockAsync(pod.Id, ct);
        if (pods.Get(pod.Id) is not { } current) return; // removed meanwhile: nothing left to stop
        pod = current;
        foreach (var c in containers.InPod(pod.Id))
            await containerManager.StopLockedAsync(c, TimeSpan.Zero, ct);
        await runtime.StopAsync(pod, ct);
        await pods.UpdateAsync(pod.Id, p => p with { State = PodState.NotReady, NetworkSetUp = false }, CancellationToken.None);
        log.LogInformation("pod {PodId} stopped", pod.Id);
    }

    /// <summary>Removes the pod and its containers. A teardown step that fails keeps the record (NotReady) and fails
    /// the call naming the step, so the client's retry finishes the job; a pod already gone counts as removed.</summary>
    public async Task RemoveAsync(PodRecord pod, CancellationToken ct)
    {
        using var held = await pods.LockAsync(pod.Id, ct);
        if (pods.Get(pod.Id) is not { } current) return;
        pod = current;
        foreach (var c in containers.InPod(pod.Id).ToList())
            await containerManager.RemoveLockedAsync(c, ct);
        if (pod.State == PodState.Ready)
            pod = await pods.UpdateAsync(pod.Id, p => p with { State = PodState.NotReady }, CancellationToken.None) ?? pod;
        var failed = await runtime.TearDownAsync(pod, ct);
        if (failed.Count > 0)
            throw new DomainException(ErrorKind.Internal,
                $"pod sandbox \"{pod.Id}\" is not fully removed: {string.Join("; ", failed)}; it is kept, retry RemovePodSandbox");
        await pods.DeleteAsync(pod.Id);
        pods.Names.Release(pod.ReservedName, pod.Id);
        stats.Forget(pod.Id);
        log.LogInformation("pod {PodId} removed", pod.Id);
    }

    /// <summary>Releases everything a pod may hold (see <see cref="IPodRuntime.TearDownAsync"/>); returns the failed steps.</summary>
    public Task<IReadOnlyList<string>> TearDownAsync(PodRecord pod, CancellationToken ct) => runtime.TearDownAsync(pod, ct);

    /// <summary>Releases what a pod ID with no record may hold (see <see cref="IPodRuntime.SweepOrphanAsync"/>); returns the failed steps.</summary>
    public Task<IReadOnlyList<string>> SweepOrphanAsync(string podId, CancellationToken ct) => runtime.SweepOrphanAsync(podId, ct);

    /// <summary>IDs that have a pod dir, namespace pins or a CNI result on disk, with or without a record.</summary>
    public IEnumerable<string> IdsOnDisk()
    {
        var dirs = new[] { layout.PodDirs, layout.NamespacePins }.Where(Directory.Exists).SelectMany(Directory.GetDirectories);
        var cniResults = Directory.Exists(layout.CniResults)
            ? Directory.GetFiles(layout.CniResults, "*.json").Select(Path.GetFileNameWithoutExtension) : [];
        return dirs.Select(Path.GetFileName).Concat(cniResults).OfType<string>().Distinct();
    }


}
