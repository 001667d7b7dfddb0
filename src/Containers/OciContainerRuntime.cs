using CriShim.Config;
using CriShim.Containers.Specs;
using CriShim.Errors;
using CriShim.Images;
using CriShim.Oci.Cgroups;
using CriShim.Oci.Monitor;
using CriShim.Oci.Pod;
using CriShim.Oci.Rootfs;
using CriShim.Oci.Specs;
using CriShim.RuntimeClasses;
using CriShim.Stores;
using Runtime.V1;
using NamespaceMode = Runtime.V1.NamespaceMode;

namespace CriShim.Containers;

/// <summary>
/// The host side of a container's lifecycle, which <see cref="ContainerManager"/> drives: what it makes and releases
/// on this machine, and no record state. The seam the manager's tests replace with a fake.
/// </summary>
public interface IContainerRuntime
{
    /// <summary>Mounts the rootfs, writes the bundle and creates the container under its monitor (`runc create`); returns its pid.</summary>
    Task<int> CreateAsync(ContainerRecord record, PodRecord pod, ContainerConfig config, PodSandboxConfig podConfig, ImageRecord image, CancellationToken ct);

    /// <summary>`runc start`: the process runs once this returns.</summary>
    Task StartAsync(ContainerRecord c, CancellationToken ct);

    /// <summary>The exit the monitor recorded, or null while the process runs (or never ran).</summary>
    ContainerExit? ReadExit(ContainerRecord c);

    /// <summary>Signals the process, waits up to the grace period, then kills it; the exit, or null when none was seen.</summary>
    Task<ContainerExit?> StopAsync(ContainerRecord c, TimeSpan grace, int signal, CancellationToken ct);

    /// <summary>Releases the runc container, monitor files, cgroup, rootfs and image volume mounts, bundle and writable layer. Idempotent.</summary>
    Task TearDownAsync(ContainerRecord c);

    /// <summary>Releases what a container ID with no record may hold (its record was unreadable, or a crash came
    /// before it was written): the runtime container under any handler, conmon, the rootfs mount, bundle and
    /// writable layer. Idempotent.</summary>
    Task SweepOrphanAsync(string id, CancellationToken ct);
}

/// <summary>
/// <see cref="IContainerRuntime"/> over the OCI layer: overlay rootfs over the image layers, config.json from the CRI
/// config, `runc create` under a conmon monitor of the pod's runtime handler (so the container outlives the daemon).
/// </summary>
public sealed class OciContainerRuntime(
    DaemonLayout layout, PodStore pods, ContainerStore containers, RuntimeClassRegistry handlers, CgroupCleaner cgroups,
    ILogger<OciContainerRuntime> log) : IContainerRuntime
{
    /// <summary>The monitor of the runtime the container's pod runs on.</summary>
    ContainerMonitor MonitorOf(ContainerRecord c) => handlers.ForOrDefault(pods.Get(c.PodId)).Monitor;

    public async Task<int> CreateAsync(ContainerRecord record, PodRecord pod, ContainerConfig config, PodSandboxConfig podConfig, ImageRecord image, CancellationToken ct)
    {
        var handler = handlers.For(pod);
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

    public Task StartAsync(ContainerRecord c, CancellationToken ct) => MonitorOf(c).StartAsync(c.Id, ct);

    public ContainerExit? ReadExit(ContainerRecord c) => MonitorOf(c).ReadExit(c.Id);

    public Task<ContainerExit?> StopAsync(ContainerRecord c, TimeSpan grace, int signal, CancellationToken ct) =>
        MonitorOf(c).StopAsync(c.Id, grace, signal, ct);

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
}
