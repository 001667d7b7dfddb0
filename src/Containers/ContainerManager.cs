using CriShim.Errors;
using CriShim.Config;
using CriShim.Events;
using CriShim.Images;
using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using CriShim.Oci.Specs;
using CriShim.RuntimeClasses;
using CriShim.Stores;
using Runtime.V1;

namespace CriShim.Containers;

/// <summary>
/// Container lifecycle: validation, names, records and their state transitions (created, running, exited, removed)
/// under the stores' operation locks, and events. What happens on the host (rootfs, bundle, conmon and runc) is the
/// <see cref="IContainerRuntime"/>'s.
/// </summary>
public sealed class ContainerManager(
    DaemonLayout layout, PodStore pods, ContainerStore containers, ImageStore images,
    RuntimeClassRegistry handlers, IContainerRuntime runtime, ContainerEventPublisher events, Stats.StatsCollector stats,
    ILogger<ContainerManager> log)
{

    /// <summary>The record as it is now, once the caller holds its lock: another call may have changed or removed it meanwhile.</summary>
    ContainerRecord? Current(ContainerRecord c) => containers.Get(c.Id);

    ContainerRecord RequireCurrent(ContainerRecord c) => Current(c) ?? throw DomainException.NotFound($"container \"{c.Id}\" not found");

    public async Task<ContainerRecord> CreateAsync(PodRecord pod, ContainerConfig config, PodSandboxConfig podConfig, CancellationToken ct)
    {
        var meta = config.Metadata ?? throw DomainException.Invalid("container config has no metadata");
        if (string.IsNullOrEmpty(meta.Name)) throw DomainException.Invalid("container metadata.name must not be empty");
        var imageName = config.Image?.Image;
        if (string.IsNullOrEmpty(imageName)) throw DomainException.Invalid("container config has no image");
        var id = Ids.New();
        // Holding the pod shared: StopPodSandbox and RemovePodSandbox wait until this create finished (or failed), and
        // find the container to stop or remove; a pod they stopped or removed first is seen here and refused.
        using var held = await containers.LockAsync(pod.Id, id, ct);
        pod = pods.Get(pod.Id) is { Complete: true } current ? current : throw DomainException.NotFound($"pod sandbox \"{pod.Id}\" not found");
        if (pod.State != PodState.Ready) throw DomainException.Precondition($"pod sandbox \"{pod.Id}\" is not ready");
        if (config.Linux?.SecurityContext is { RunAsGroup: not null, RunAsUser: null } sc && string.IsNullOrEmpty(sc.RunAsUsername))
            throw DomainException.Invalid("run_as_group is set without run_as_user or run_as_username");
        var image = images.Resolve(imageName) ?? throw DomainException.NotFound($"image \"{imageName}\" not found; pull it first");
        var logPath = LogPath(podConfig.LogDirectory, config.LogPath);
        var handler = handlers.For(pod);

        var imageVolumes = ImageVolumes.Plan(config, images, layout.Bundle(id));
        var record = new ContainerRecord
        {
            Id = id, PodId = pod.Id, Name = meta.Name, Attempt = meta.Attempt,
            Config = Google.Protobuf.MessageExtensions.ToByteArray(config),
            ImageRef = imageName, ImageId = image.Id, ImageRepoDigest = image.RepoDigests.FirstOrDefault() ?? "",
            CreatedAt = DateTimeOffset.UtcNow, BundleDir = layout.Bundle(id), RootfsDir = layout.BundleRootfs(id),
            LogPath = logPath ?? "", StopSignal = string.IsNullOrEmpty(image.Config.StopSignal) ? "SIGTERM" : image.Config.StopSignal,
            LayerDirs = image.LayerDirs, ImageVolumes = imageVolumes,
        };
        if (containers.Names.Reserve(record.ReservedName, id) is { } holder)
            throw DomainException.Exists($"container name \"{record.ReservedName}\" is reserved for \"{holder}\"");
        try
        {
            await containers.SaveAsync(record, CancellationToken.None);
            // Saved, the record keeps its volume images from removal; one removed just before is gone for good.
            if (imageVolumes.FirstOrDefault(v => images.Get(v.ImageId) is null) is { } removed)
                throw DomainException.NotFound($"image {removed.ImageId} of the volume at \"{removed.ContainerPath}\" was removed; pull it again");
            var pid = await runtime.CreateAsync(record, pod, config, podConfig, image, ct);
            record = record with { Pid = pid, Complete = true };
            await containers.SaveAsync(record, CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "container {ContainerId} failed to create; cleaning up", id);
            try
            {
                await runtime.TearDownAsync(record);
                await containers.DeleteAsync(id);
            }
            catch (Exception cleanup)
            {
                // The half-created record stays: RemoveContainer or the next start's recovery finishes the cleanup.
                log.LogError(cleanup, "container {ContainerId}: cleaning up after the failed create failed; its record is kept", id);
            }
            finally
            {
                // Always: kubelet retries the create under the same name.
                containers.Names.Release(record.ReservedName, id);
            }
            throw e switch
            {
                SpecException or ArgumentException => DomainException.Invalid(e.Message),
                ContainerCreateException c => new DomainException(ErrorKind.Unknown, $"{handler.Name} create failed: {c.RuntimeMessage}"),
                _ => e,
            };
        }
        events.Publish(id, pod.Id, ContainerEventType.ContainerCreatedEvent);
        log.LogInformation("container {ContainerId} ({Name}) created in pod {PodId}", id, meta.Name, pod.Id);
        return record;
    }

    /// <summary>The CRI log path joined to the pod's log directory; refuses paths that escape it.</summary>
    static string? LogPath(string podLogDir, string containerLogPath)
    {
        if (string.IsNullOrEmpty(containerLogPath)) return null;
        if (string.IsNullOrEmpty(podLogDir))
            return Path.IsPathRooted(containerLogPath) ? containerLogPath : throw DomainException.Invalid($"log path \"{containerLogPath}\" is relative but the pod has no log directory");
        var dir = Path.GetFullPath(podLogDir);
        var full = Path.GetFullPath(Path.Combine(dir, containerLogPath));
        if (!full.StartsWith(dir.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw DomainException.Invalid($"log path \"{containerLogPath}\" escapes the pod log directory \"{podLogDir}\"");
        return full;
    }

    public async Task StartAsync(ContainerRecord c, CancellationToken ct)
    {
        using var held = await containers.LockAsync(c, ct);
        c = RequireCurrent(c);
        if (c.State != ContainerRunState.Created)
            throw DomainException.Precondition($"container \"{c.Id}\" is {c.State.ToString().ToLowerInvariant()}, not created");
        // The process runs from inside `runc start`: take the time before, so a fast exit never precedes it.
        var startedAt = DateTimeOffset.UtcNow;
        try { await runtime.StartAsync(c, ct); }
        catch (Exception e)
        {
            await containers.UpdateAsync(c.Id, r => r with
            {
                State = ContainerRunState.Exited, FinishedAt = DateTimeOffset.UtcNow, ExitCode = ContainerExitCodes.StartFailed, Reason = ContainerExitReasons.StartError, Message = e.Message,
            }, CancellationToken.None); // what happened to the container is recorded even if the caller gave up
            throw new DomainException(ErrorKind.Unknown, $"failed to start container \"{c.Id}\": {e.Message}", e);
        }
        await containers.UpdateAsync(c.Id, r => r.State == ContainerRunState.Created
            ? r with { State = ContainerRunState.Running, StartedAt = startedAt } : r with { StartedAt = r.StartedAt ?? startedAt },
            CancellationToken.None); // it runs now: the record must say so whatever the caller does
        events.Publish(c.Id, c.PodId, ContainerEventType.ContainerStartedEvent);
        // A very short-lived process may have exited before the record said Running.
        if (runtime.ReadExit(c) is { } exit) await RecordExitAsync(exit);
    }

    public async Task StopAsync(ContainerRecord c, TimeSpan grace, CancellationToken ct)
    {
        using var held = await containers.LockAsync(c, ct);
        await StopLockedAsync(RequireCurrent(c), grace, ct);
    }

    /// <summary>Stop, for a caller that holds the container's lock (or its pod's exclusively).</summary>
    public async Task StopLockedAsync(ContainerRecord c, TimeSpan grace, CancellationToken ct)
    {
        if (c.State is ContainerRunState.Exited) return;
        var exit = await runtime.StopAsync(c, grace, Signals.Parse(c.StopSignal) ?? Signals.SIGTERM, ct);
        if (exit is not null) await RecordExitAsync(exit);
        else await containers.UpdateAsync(c.Id, r => r.State == ContainerRunState.Exited ? r
            : r with { State = ContainerRunState.Exited, FinishedAt = DateTimeOffset.UtcNow, ExitCode = ContainerExitCodes.Success, Reason = ContainerExitReasons.Completed },
            CancellationToken.None); // it is stopped: recorded even if the caller gave up
    }

    /// <summary>Records an exit seen by the monitor (idempotent) and tells event subscribers.</summary>
    public async Task RecordExitAsync(ContainerExit exit)
    {
        var reason = ContainerExitReasons.Of(exit);
        var changed = false; // the store serializes updates, so exactly one caller makes the transition
        var after = await containers.UpdateAsync(exit.Id, r =>
        {
            if (r.State == ContainerRunState.Exited) return r;
            changed = true;
            var started = r.StartedAt ?? exit.FinishedAt;
            // The exit file's time has the file system's granularity; never report an end before the start.
            var finished = exit.FinishedAt < started ? started : exit.FinishedAt;
            return r with { State = ContainerRunState.Exited, ExitCode = exit.ExitCode, FinishedAt = finished, Reason = reason, StartedAt = started };
        });
        if (!changed || after is null) return;
        events.Publish(exit.Id, after.PodId, ContainerEventType.ContainerStoppedEvent);
        log.LogInformation("container {ContainerId} exited with {ExitCode} ({Reason})", exit.Id, exit.ExitCode, reason);
    }

    /// <summary>Removes the container; one already gone counts as removed (kubelet retries removals).</summary>
    public async Task RemoveAsync(ContainerRecord c, CancellationToken ct)
    {
        using var held = await containers.LockAsync(c, ct);
        if (Current(c) is { } current) await RemoveLockedAsync(current, ct);
    }

    /// <summary>Remove, for a caller that holds the container's lock (or its pod's exclusively). A failed teardown step
    /// throws and keeps the record, so a retry can finish the job.</summary>
    public async Task RemoveLockedAsync(ContainerRecord c, CancellationToken ct)
    {
        if (c.State is ContainerRunState.Running or ContainerRunState.Created or ContainerRunState.Unknown)
            await runtime.StopAsync(c, TimeSpan.Zero, Signals.SIGTERM, ct);
        await runtime.TearDownAsync(c);
        await containers.DeleteAsync(c.Id);
        containers.Names.Release(c.ReservedName, c.Id);
        stats.Forget(c.Id);
        events.Publish(c.Id, c.PodId, ContainerEventType.ContainerDeletedEvent);
        log.LogInformation("container {ContainerId} removed", c.Id);
    }

    /// <summary>Releases everything the container holds on the runtime side (see <see cref="IContainerRuntime.TearDownAsync"/>). Idempotent.</summary>
    public Task TearDownAsync(ContainerRecord c) => runtime.TearDownAsync(c);

    /// <summary>Releases what a container ID with no record may hold (see <see cref="IContainerRuntime.SweepOrphanAsync"/>). Idempotent.</summary>
    public Task SweepOrphanAsync(string id, CancellationToken ct) => runtime.SweepOrphanAsync(id, ct);

    /// <summary>IDs that have a bundle or writable layer on disk, with or without a record.</summary>
    public IEnumerable<string> IdsOnDisk() =>
        new[] { layout.Bundles, layout.WritableLayers }
            .Where(Directory.Exists).SelectMany(Directory.GetDirectories).Select(Path.GetFileName).OfType<string>();
}
