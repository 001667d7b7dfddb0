using CriShim.Errors;
using CriShim.Config;
using CriShim.Containers;
using CriShim.Cri.Specs;
using CriShim.Oci.Cgroups;
using CriShim.Oci.Monitor;
using CriShim.Oci.Network;
using CriShim.Oci.Specs;
using CriShim.Oci.Pod;
using CriShim.Oci.Rootfs;
using CriShim.RuntimeClasses;
using CriShim.Stores;
using Runtime.V1;
using NamespaceMode = Runtime.V1.NamespaceMode;

namespace CriShim.Pods;

/// <summary>
/// Pod sandbox lifecycle: pod files and shm, namespaces pinned to files (no pause process unless the pod
/// shares a PID namespace), CNI networking. Every teardown step is idempotent and derived from the pod ID,
/// so a failed run, a remove and crash recovery all clean up through <see cref="TearDownAsync"/>.
/// </summary>
public sealed class PodSandboxManager(
    DaemonLayout layout, PodStore pods, ContainerStore containers, ContainerManager containerManager,
    NamespacePins pins, CniManager cni, RuntimeClassRegistry handlers, InfraRootfs infraRootfs, CgroupCleaner cgroups,
    Stats.StatsCollector stats, LifecycleLocks locks, ILogger<PodSandboxManager> log)
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
        using var held = await locks.PodAsync(id, ct);
        if (pods.Names.Reserve(record.ReservedName, id) is { } holder)
            throw DomainException.Exists($"pod sandbox name \"{record.ReservedName}\" is reserved for \"{holder}\"");
        try
        {
            // Persisted first and marked complete last: a crash in between leaves a record that recovery tears down.
            await pods.SaveAsync(record, CancellationToken.None);
            record = await SetUpAsync(record, config, handler, ct);
            await pods.SaveAsync(record, CancellationToken.None);
            log.LogInformation("pod {PodId} ({Name}/{Namespace}) ready, ip {Ip}", id, meta.Name, meta.Namespace, record.Ip ?? "host");
            return record;
        }
        catch (Exception e)
        {
            log.LogWarning(e, "pod {PodId} failed to start; cleaning up", id);
            // A failed step keeps the half-created record (hidden from List): the next start's recovery retries it.
            // The name is released either way, as kubelet retries the run under the same name.
            if ((await TearDownAsync(record, CancellationToken.None)).Count == 0) await pods.DeleteAsync(id);
            pods.Names.Release(record.ReservedName, id);
            throw e is SpecException or ArgumentException ? DomainException.Invalid(e.Message) : e;
        }
    }

    async Task<PodRecord> SetUpAsync(PodRecord record, PodSandboxConfig config, RuntimeClass handler, CancellationToken ct)
    {
        var ns = config.Linux?.SecurityContext?.NamespaceOptions ?? new NamespaceOption();
        var hostNetwork = ns.Network == NamespaceMode.Node;
        var hostIpc = ns.Ipc == NamespaceMode.Node;
        var dns = config.DnsConfig is { } d ? new DnsSettings([.. d.Servers], [.. d.Searches], [.. d.Options]) : null;
        Host.PrivateDirectories.Ensure(record.PodDir, Host.PrivateDirectories.ForPod(ContainerSpecMapper.PodUserNamespace(config) is not null));
        var files = await PodFiles.WriteAsync(record.PodDir, new PodFilesInput { Hostname = config.Hostname, Dns = dns, HostNetwork = hostNetwork }, ct);
        if (!hostIpc) ShmMount.Mount(files.Shm!);

        var pinned = await pins.CreateAsync(record.Id, new PodNamespaceRequest
        {
            Network = !hostNetwork, Ipc = !hostIpc, Uts = !hostNetwork, Hostname = config.Hostname,
            LoopbackUp = false, // the pod's own netns always gets CNI ADD below, whose loopback plugin brings `lo` up
            User = ContainerSpecMapper.PodUserNamespace(config),
        }, ct);
        record = record with { NetNsPath = pinned.NetNs, IpcNsPath = pinned.IpcNs, UtsNsPath = pinned.UtsNs, UserNsPath = pinned.UserNs };

        var infraFiles = hostIpc ? files with { Shm = "/dev/shm" } : files;
        var infra = handler.Kind.Infra(ns.Pid == NamespaceMode.Pod);
        if (infra == InfraStart.BeforeNetwork)
            record = record with { InfraContainerId = await StartInfraAsync(record, config, infraFiles, handler, ct) };

        if (!hostNetwork)
        {
            var result = await cni.SetUpAsync(new CniPod(record.Id, record.Name, record.Namespace, record.Uid, pinned.NetNs!)
            {
                // kubelet passes container ports without a host port too; only host ports are mapped (as containerd does).
                PortMappings = [.. config.PortMappings.Where(p => p.HostPort > 0).Select(p => new CniPortMapping(p.HostPort, p.ContainerPort, p.Protocol.ToString().ToLowerInvariant(), string.IsNullOrEmpty(p.HostIp) ? null : p.HostIp))],
            }, ct);
            var ips = result.PodIps.Select(ip => ip.ToString()).ToList();
            record = record with { Ip = ips.FirstOrDefault(), AdditionalIps = [.. ips.Skip(1)], NetworkSetUp = true };
            await PodFiles.WriteHostsAsync(files.Hosts!, new PodFilesInput { Hostname = config.Hostname, PodIps = ips }, ct);
        }
        if (infra == InfraStart.AfterNetwork)
            record = record with { InfraContainerId = await StartInfraAsync(record, config, infraFiles, handler, ct) };
        return record with { State = PodState.Ready, Complete = true };
    }

    /// <summary>The pod's PID namespace holder: the static crishim-pause as PID 1, under conmon like any container.</summary>
    async Task<string> StartInfraAsync(PodRecord record, PodSandboxConfig config, PodFilePaths files, RuntimeClass handler, CancellationToken ct)
    {
        var spec = new SandboxSpecGenerator().Generate(ContainerSpecMapper.MapSandbox(config, new SandboxSpecContext
        {
            SandboxId = record.Id, RootfsPath = infraRootfs.Path, Args = ["/pause"], PodFiles = files,
            Namespaces = new PodNamespacePaths(record.NetNsPath, record.IpcNsPath, record.UtsNsPath,
                User: ContainerSpecMapper.PodUserNamespaceInput(config, record.UserNsPath)),
            CgroupsPath = CgroupNaming.For(record, record.Id),
        }));
        var bundle = Path.Combine(record.PodDir, "infra");
        await BundleWriter.WriteAsync(bundle, handler.Kind.AdjustSpec(spec), ct);
        await handler.Monitor.CreateAsync(new ContainerLaunchSpec(record.Id, "infra", bundle, Path.Combine(record.PodDir, "infra.log")), ct);
        await handler.Monitor.StartAsync(record.Id, ct);
        return record.Id;
    }

    /// <summary>Stops every container and the infra process and tears the network down; the pod stays listed, NotReady.</summary>
    public async Task StopAsync(PodRecord pod, CancellationToken ct)
    {
        using var held = await locks.PodAsync(pod.Id, ct);
        if (pods.Get(pod.Id) is not { } current) return; // removed meanwhile: nothing left to stop
        pod = current;
        foreach (var c in containers.InPod(pod.Id))
            await containerManager.StopLockedAsync(c, TimeSpan.Zero, ct);
        if (pod.InfraContainerId is { } infra) await handlers.For(pod).Monitor.StopAsync(infra, TimeSpan.Zero, ct: ct);
        if (pod.NetworkSetUp) await cni.TearDownAsync(pod.Id, ct);
        await pods.UpdateAsync(pod.Id, p => p with { State = PodState.NotReady, NetworkSetUp = false }, CancellationToken.None);
        log.LogInformation("pod {PodId} stopped", pod.Id);
    }

    /// <summary>Removes the pod and its containers. A teardown step that fails keeps the record (NotReady) and fails
    /// the call naming the step, so the client's retry finishes the job; a pod already gone counts as removed.</summary>
    public async Task RemoveAsync(PodRecord pod, CancellationToken ct)
    {
        using var held = await locks.PodAsync(pod.Id, ct);
        if (pods.Get(pod.Id) is not { } current) return;
        pod = current;
        foreach (var c in containers.InPod(pod.Id).ToList())
            await containerManager.RemoveLockedAsync(c, ct);
        if (pod.State == PodState.Ready)
            pod = await pods.UpdateAsync(pod.Id, p => p with { State = PodState.NotReady }, CancellationToken.None) ?? pod;
        var failed = await TearDownAsync(pod, ct);
        if (failed.Count > 0)
            throw new DomainException(ErrorKind.Internal,
                $"pod sandbox \"{pod.Id}\" is not fully removed: {string.Join("; ", failed)}; it is kept, retry RemovePodSandbox");
        await pods.DeleteAsync(pod.Id);
        pods.Names.Release(pod.ReservedName, pod.Id);
        stats.Forget(pod.Id);
        log.LogInformation("pod {PodId} removed", pod.Id);
    }

    /// <summary>Releases everything a pod may hold; each step tolerates what is already gone, and every step runs even
    /// when an earlier one failed. Returns the failed steps ("step: error"), empty when all is released.</summary>
    public Task<IReadOnlyList<string>> TearDownAsync(PodRecord pod, CancellationToken ct)
    {
        var handler = handlers.ForOrDefault(pod);
        return TearDownAsync(pod.Id, pod.PodDir, [handler], handler.Kind.LeftoverCgroup(pod, pod.Id), ct);
    }

    /// <summary>Releases what a pod ID with no record may hold (its record was unreadable): the infra under any
    /// handler, network, pins, shm and pod dir. Returns the failed steps.</summary>
    public Task<IReadOnlyList<string>> SweepOrphanAsync(string podId, CancellationToken ct) =>
        TearDownAsync(podId, layout.PodDir(podId), [.. handlers.All.Where(h => h.IsUsable)], null, ct);

    /// <summary>IDs that have a pod dir, namespace pins or a CNI result on disk, with or without a record.</summary>
    public IEnumerable<string> IdsOnDisk()
    {
        var dirs = new[] { layout.PodDirs, layout.NamespacePins }.Where(Directory.Exists).SelectMany(Directory.GetDirectories);
        var cniResults = Directory.Exists(layout.CniResults)
            ? Directory.GetFiles(layout.CniResults, "*.json").Select(Path.GetFileNameWithoutExtension) : [];
        return dirs.Select(Path.GetFileName).Concat(cniResults).OfType<string>().Distinct();
    }

    async Task<IReadOnlyList<string>> TearDownAsync(string podId, string podDir, IReadOnlyList<RuntimeClass> runtimes, string? sandboxCgroup, CancellationToken ct)
    {
        var failed = new List<string>();
        foreach (var monitor in runtimes.Select(h => h.Monitor))
            await Try("stop infra", async () => { await monitor.StopAsync(podId, TimeSpan.Zero, ct: ct); await monitor.DeleteAsync(podId, ct); });
        if (sandboxCgroup is not null) await Try("sandbox cgroup", () => cgroups.RemoveAsync(sandboxCgroup, cancellationToken: ct));
        await Try("network", () => cni.TearDownAsync(podId, ct));
        await Try("namespaces", () => pins.RemoveAsync(podId, ct));
        await Try("shm", () => { ShmMount.Unmount(Path.Combine(podDir, PodFiles.ShmDir)); return Task.CompletedTask; });
        await Try("pod dir", () => { if (Directory.Exists(podDir)) Directory.Delete(podDir, true); return Task.CompletedTask; });
        return failed;

        async Task Try(string step, Func<Task> action)
        {
            try { await action(); }
            catch (Exception e)
            {
                log.LogWarning(e, "pod {PodId}: tearing down {Step} failed", podId, step);
                failed.Add($"{step}: {e.Message}");
            }
        }
    }
}
