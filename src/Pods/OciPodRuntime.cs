using CriShim.Config;
using CriShim.Containers.Specs;
using CriShim.Oci.Cgroups;
using CriShim.Oci.Monitor;
using CriShim.Oci.Network;
using CriShim.Oci.Pod;
using CriShim.Oci.Rootfs;
using CriShim.Oci.Specs;
using CriShim.RuntimeClasses;
using CriShim.Stores;
using Runtime.V1;
using NamespaceMode = Runtime.V1.NamespaceMode;

namespace CriShim.Pods;

/// <summary>
/// The host side of a pod sandbox's lifecycle, which <see cref="PodSandboxManager"/> drives: what it makes and
/// releases on this machine, and no record state. The seam the manager's tests replace with a fake.
/// </summary>
public interface IPodRuntime
{
    /// <summary>Writes the pod files and shm, pins the namespaces, sets up the network and starts the infra process
    /// where the pod needs one; returns the record with what was made, ready and complete.</summary>
    Task<PodRecord> SetUpAsync(PodRecord record, PodSandboxConfig config, RuntimeClass handler, CancellationToken ct);

    /// <summary>Stops the infra process and tears the network down; the pod's files and namespaces stay.</summary>
    Task StopAsync(PodRecord pod, CancellationToken ct);

    /// <summary>Releases everything a pod may hold; each step tolerates what is already gone, and every step runs even
    /// when an earlier one failed. Returns the failed steps ("step: error"), empty when all is released.</summary>
    Task<IReadOnlyList<string>> TearDownAsync(PodRecord pod, CancellationToken ct);

    /// <summary>Releases what a pod ID with no record may hold (its record was unreadable): the infra under any
    /// handler, network, pins, shm and pod dir. Returns the failed steps.</summary>
    Task<IReadOnlyList<string>> SweepOrphanAsync(string podId, CancellationToken ct);
}

/// <summary>
/// <see cref="IPodRuntime"/> on this host: pod files and shm, namespaces pinned to files (no pause process unless the
/// pod shares a PID namespace), CNI networking. Every teardown step is idempotent and derived from the pod ID.
/// </summary>
public sealed class OciPodRuntime(
    DaemonLayout layout, NamespacePins pins, CniManager cni, RuntimeClassRegistry handlers, InfraRootfs infraRootfs, CgroupCleaner cgroups,
    ILogger<OciPodRuntime> log) : IPodRuntime
{
    public async Task<PodRecord> SetUpAsync(PodRecord record, PodSandboxConfig config, RuntimeClass handler, CancellationToken ct)
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

    public async Task StopAsync(PodRecord pod, CancellationToken ct)
    {
        if (pod.InfraContainerId is { } infra) await handlers.For(pod).Monitor.StopAsync(infra, TimeSpan.Zero, ct: ct);
        if (pod.NetworkSetUp) await cni.TearDownAsync(pod.Id, ct);
    }

    public Task<IReadOnlyList<string>> TearDownAsync(PodRecord pod, CancellationToken ct)
    {
        var handler = handlers.ForOrDefault(pod);
        return TearDownAsync(pod.Id, pod.PodDir, [handler], handler.Kind.LeftoverCgroup(pod, pod.Id), ct);
    }

    public Task<IReadOnlyList<string>> SweepOrphanAsync(string podId, CancellationToken ct) =>
        TearDownAsync(podId, layout.PodDir(podId), [.. handlers.All.Where(h => h.IsUsable)], null, ct);

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
