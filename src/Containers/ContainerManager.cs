using CriShim.Errors;
using CriShim.Config;
using CriShim.Cri.Specs;
using CriShim.Events;
using CriShim.Images;
using CriShim.Oci.Cgroups;
using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using CriShim.Oci.Specs;
using CriShim.Oci.Pod;
using CriShim.Oci.Rootfs;
using CriShim.RuntimeClasses;
using CriShim.Stores;
using Runtime.V1;
using NamespaceMode = Runtime.V1.NamespaceMode;

namespace CriShim.Containers;

/// <summary>
/// Container lifecycle over the OCI layer: overlay rootfs over the image layers, config.json from the CRI
/// config, `runc create` under a conmon monitor (so the container outlives the daemon), start, stop, remove.
/// </summary>
public sealed class ContainerManager(
    DaemonLayout layout, PodStore pods, ContainerStore containers, ImageStore images,
    RuntimeClassRegistry handlers, CgroupCleaner cgroups, ContainerEventPublisher events, Stats.StatsCollector stats, LifecycleLocks locks,
    ILogger<ContainerManager> log)
{
    /// <summary>The monitor of the runtime the container's pod runs on.</summary>
    ContainerMonitor MonitorOf(ContainerRecord c) => handlers.ForOrDefault(pods.Get(c.PodId)).Monitor;

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
        using var held = await locks.ContainerAsync(pod.Id, id, ct);
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
            var pid = await SetUpAsync(record, pod, config, podConfig, image, handler, ct);
            record = record with { Pid = pid, Complete = true };
            await containers.SaveAsync(record, CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "container {ContainerId} failed to create; cleaning up", id);
            try
            {
                await TearDownAsync(record);
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

    async Task<int> SetUpAsync(ContainerRecord record, PodRecord pod, ContainerConfig config, PodSandboxConfig podConfig, ImageRecord image, RuntimeClass handler, CancellationToken ct)
    {
        var (upper, work) = (layout.WritableUpper(record.Id), layout.WritableWork(record.Id));
        Directory.CreateDirectory(upper);
        Directory.CreateDirectory(work);
        var userns = ContainerSpecMapper.PodUserNamespaceInput(pod.ParsedConfig, pod.UserNsPath);
        Host.PrivateDirectories.Ensure(record.BundleDir, Host.PrivateDirectories.ForPod(userns is not null));
        Directory.CreateDirectory(record.RootfsDir);
        var rootfs = new OverlayLayout(image.LayerDirs, upper, work, record.RootfsDir);
        if (userns is null) OverlayRootfs.Mount(rootfs);
        else UserNamespaceRootfs.Mount(rootfs, userns, Path.Combine(record.BundleDir, "idmap"));
        var preparedSources = ImageVolumes.MountAll(record.ImageVolumes, userns?.Path)
            .Concat(IdmappedBinds.Stage(config, userns, record.BundleDir)).ToDictionary(StringComparer.Ordinal);

        var podFiles = new PodFilePaths(
            Path.Combine(pod.PodDir, PodFiles.HostnameFile), Path.Combine(pod.PodDir, PodFiles.HostsFile),
            Path.Combine(pod.PodDir, PodFiles.ResolvConfFile),
            pod.IpcNsPath is null ? "/dev/shm" : Path.Combine(pod.PodDir, PodFiles.ShmDir));
        var input = ContainerSpecMapper.Map(config, podConfig, ImageDefaultsOf(image), new ContainerSpecContext
        {
            ContainerId = record.Id, SandboxId = pod.Id, RootfsPath = record.RootfsDir, ImageName = image.RepoTags.FirstOrDefault() ?? record.ImageRef,
            PodFiles = podFiles,
            Namespaces = new PodNamespacePaths(pod.NetNsPath, pod.IpcNsPath, pod.UtsNsPath,
                handler.Kind.JoinsPodPidNamespace(podConfig.Linux?.SecurityContext?.NamespaceOptions?.Pid == NamespaceMode.Pod) ? await PodPidNamespaceAsync(pod, handler, ct) : null,
                userns),
            TargetPidNamespacePath = handler.Kind.HonoursTargetPidNamespace ? await TargetPidNamespaceAsync(pod, config, handler, ct) : null,
            CgroupsPath = CgroupNaming.For(pod, record.Id),
            PreparedMountSources = preparedSources,
        });
        var spec = new ContainerSpecGenerator().Generate(input);
        await BundleWriter.WriteAsync(record.BundleDir, handler.Kind.AdjustSpec(spec), ct);
        if (!string.IsNullOrEmpty(record.LogPath)) Directory.CreateDirectory(Path.GetDirectoryName(record.LogPath)!);
        var logPath = string.IsNullOrEmpty(record.LogPath) ? Path.Combine(record.BundleDir, "container.log") : record.LogPath;
        return await handler.Monitor.CreateAsync(new ContainerLaunchSpec(record.Id, record.Name, record.BundleDir, logPath)
        {
            Terminal = config.Tty, Stdin = config.Stdin, StdinOnce = config.StdinOnce,
        }, ct);
    }

    static ImageDefaults ImageDefaultsOf(ImageRecord image) => new()
    {
        Entrypoint = image.Config.Entrypoint, Cmd = image.Config.Cmd, Env = image.Config.Env,
        WorkingDir = image.Config.WorkingDir, User = image.Config.User, StopSignal = image.Config.StopSignal,
    };

    static async Task<string?> PodPidNamespaceAsync(PodRecord pod, RuntimeClass handler, CancellationToken ct)
    {
        if (pod.InfraContainerId is not { } infra) return null;
        var state = await handler.Runtime.StateAsync(infra, ct);
        return state is { IsRunning: true } ? $"/proc/{state.Pid}/ns/pid" : throw DomainException.Precondition($"pod sandbox \"{pod.Id}\" infra process is not running");
    }

    /// <summary>The PID namespace of the TARGET container: one of this pod's, created or running (it has a process).</summary>
    async Task<string?> TargetPidNamespaceAsync(PodRecord pod, ContainerConfig config, RuntimeClass handler, CancellationToken ct)
    {
        var ns = config.Linux?.SecurityContext?.NamespaceOptions;
        if (ns?.Pid != NamespaceMode.Target) return null;
        const string field = "linux.security_context.namespace_options.target_id";
        if (string.IsNullOrEmpty(ns.TargetId)) throw DomainException.Invalid($"{field} must name a container of the pod when pid is TARGET");
        var target = containers.Find(ns.TargetId) ?? throw DomainException.NotFound($"{field}: container \"{ns.TargetId}\" not found");
        if (target.PodId != pod.Id)
            throw DomainException.Invalid($"{field}: container \"{target.Id}\" is in pod sandbox \"{target.PodId}\", not in \"{pod.Id}\"; a container can only share the PID namespace of its own pod's containers");
        var state = await handler.Runtime.StateAsync(target.Id, ct);
        return state is { Pid: > 0 } && (state.IsRunning || state.IsCreated)
            ? $"/proc/{state.Pid}/ns/pid"
            : throw DomainException.Invalid($"{field}: container \"{target.Id}\" is {state?.Status ?? "gone"}, not created or running");
    }

    public async Task StartAsync(ContainerRecord c, CancellationToken ct)
    {
        using var held = await locks.ContainerAsync(c.PodId, c.Id, ct);
        c = RequireCurrent(c);
        if (c.State != ContainerRunState.Created)
            throw DomainException.Precondition($"container \"{c.Id}\" is {c.State.ToString().ToLowerInvariant()}, not created");
        var monitor = MonitorOf(c);
        // The process runs from inside `runc start`: take the time before, so a fast exit never precedes it.
        var startedAt = DateTimeOffset.UtcNow;
        try { await monitor.StartAsync(c.Id, ct); }
        catch (Exception e)
        {
            await containers.UpdateAsync(c.Id, r => r with
            {
                State = ContainerRunState.Exited, FinishedAt = DateTimeOffset.UtcNow, ExitCode = 128, Reason = "StartError", Message = e.Message,
            }, CancellationToken.None); // what happened to the container is recorded even if the caller gave up
            throw new DomainException(ErrorKind.Unknown, $"failed to start container \"{c.Id}\": {e.Message}", e);
        }
        await containers.UpdateAsync(c.Id, r => r.State == ContainerRunState.Created
            ? r with { State = ContainerRunState.Running, StartedAt = startedAt } : r with { StartedAt = r.StartedAt ?? startedAt },
            CancellationToken.None); // it runs now: the record must say so whatever the caller does
        events.Publish(c.Id, c.PodId, ContainerEventType.ContainerStartedEvent);
        // A very short-lived process may have exited before the record said Running.
        if (monitor.ReadExit(c.Id) is { } exit) await RecordExitAsync(exit);
    }

    public async Task StopAsync(ContainerRecord c, TimeSpan grace, CancellationToken ct)
    {
        using var held = await locks.ContainerAsync(c.PodId, c.Id, ct);
        await StopLockedAsync(RequireCurrent(c), grace, ct);
    }

    /// <summary>Stop, for a caller that holds the container's lock (or its pod's exclusively).</summary>
    public async Task StopLockedAsync(ContainerRecord c, TimeSpan grace, CancellationToken ct)
    {
        if (c.State is ContainerRunState.Exited) return;
        var exit = await MonitorOf(c).StopAsync(c.Id, grace, Signals.Parse(c.StopSignal) ?? Signals.SIGTERM, ct);
        if (exit is not null) await RecordExitAsync(exit);
        else await containers.UpdateAsync(c.Id, r => r.State == ContainerRunState.Exited ? r
            : r with { State = ContainerRunState.Exited, FinishedAt = DateTimeOffset.UtcNow, ExitCode = 0, Reason = "Completed" },
            CancellationToken.None); // it is stopped: recorded even if the caller gave up
    }

    /// <summary>Records an exit seen by the monitor (idempotent) and tells event subscribers.</summary>
    public async Task RecordExitAsync(ContainerExit exit)
    {
        var reason = exit.OomKilled ? "OOMKilled" : exit.ExitCode == 0 ? "Completed" : "Error";
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
        using var held = await locks.ContainerAsync(c.PodId, c.Id, ct);
        if (Current(c) is { } current) await RemoveLockedAsync(current, ct);
    }

    /// <summary>Remove, for a caller that holds the container's lock (or its pod's exclusively). A failed teardown step
    /// throws and keeps the record, so a retry can finish the job.</summary>
    public async Task RemoveLockedAsync(ContainerRecord c, CancellationToken ct)
    {
        if (c.State is ContainerRunState.Running or ContainerRunState.Created or ContainerRunState.Unknown)
            await MonitorOf(c).StopAsync(c.Id, TimeSpan.Zero, ct: ct);
        await TearDownAsync(c);
        await containers.DeleteAsync(c.Id);
        containers.Names.Release(c.ReservedName, c.Id);
        stats.Forget(c.Id);
        events.Publish(c.Id, c.PodId, ContainerEventType.ContainerDeletedEvent);
        log.LogInformation("container {ContainerId} removed", c.Id);
    }

    /// <summary>Releases the runc container, monitor files, rootfs and image volume mounts, bundle and writable layer. Idempotent.</summary>
    public async Task TearDownAsync(ContainerRecord c)
    {
        var pod = pods.Get(c.PodId);
        var handler = handlers.ForOrDefault(pod);
        await handler.Monitor.DeleteAsync(c.Id, CancellationToken.None);
        if (pod is not null && handler.Kind.LeftoverCgroup(pod, c.Id) is { } leftover)
        {
            try { await cgroups.RemoveAsync(leftover); }
            catch (Exception e) { log.LogWarning(e, "container {ContainerId}: removing its cgroup failed", c.Id); }
        }
        RemoveFiles(c.Id, c.BundleDir, c.RootfsDir);
    }

    /// <summary>Releases what a container ID with no record may hold (its record was unreadable, or a crash came
    /// before it was written): the runtime container under any handler, conmon, the rootfs mount, bundle and
    /// writable layer. Idempotent.</summary>
    public async Task SweepOrphanAsync(string id, CancellationToken ct)
    {
        foreach (var handler in handlers.All.Where(h => h.IsUsable))
            await handler.Monitor.DeleteAsync(id, ct);
        RemoveFiles(id, layout.Bundle(id), layout.BundleRootfs(id));
    }

    void RemoveFiles(string id, string bundleDir, string rootfsDir)
    {
        OverlayRootfs.Unmount(rootfsDir);
        ImageVolumes.UnmountAll(bundleDir);
        IdmappedBinds.UnmountAll(bundleDir);
        // Whatever a crash left mounted below the bundle (idmapped layer clones mid-setup) must not be deleted through.
        Unmounter.UnmountAllBelow(bundleDir);
        if (Directory.Exists(bundleDir)) Directory.Delete(bundleDir, recursive: true);
        if (Directory.Exists(layout.WritableLayer(id))) Directory.Delete(layout.WritableLayer(id), recursive: true);
    }

    /// <summary>IDs that have a bundle or writable layer on disk, with or without a record.</summary>
    public IEnumerable<string> IdsOnDisk() =>
        new[] { layout.Bundles, layout.WritableLayers }
            .Where(Directory.Exists).SelectMany(Directory.GetDirectories).Select(Path.GetFileName).OfType<string>();
}
