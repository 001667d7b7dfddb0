namespace CriShim.Config;

/// <summary>
/// Every path the daemon keeps under --root (what must survive a reboot: records, images, writable layers) and
/// --state (what a reboot may lose: bundles, pod dirs, namespace pins, CNI results, monitor files, runtime roots).
/// The one place that knows the on-disk layout; a daemon started over an older one's directories finds them here.
/// Images keep their own <see cref="Images.ImagePaths"/> below <see cref="ImagesDir"/>.
/// </summary>
public sealed class DaemonLayout(string root, string state)
{
    public DaemonLayout(CriShimOptions options) : this(options.Root, options.State) { }

    public string Root { get; } = root;
    public string State { get; } = state;

    // Below --root.
    /// <summary>What the daemon creates directly below --root.</summary>
    public static readonly IReadOnlyList<string> RootChildren = [ImagesName, PodsName, ContainersName, WritableName];

    public string ImagesDir => Path.Combine(Root, ImagesName);
    /// <summary>Pod records, one JSON file per pod.</summary>
    public string PodRecords => Path.Combine(Root, PodsName);
    /// <summary>Container records, one JSON file per container.</summary>
    public string ContainerRecords => Path.Combine(Root, ContainersName);
    /// <summary>The containers' writable layers, one directory per container ID.</summary>
    public string WritableLayers => Path.Combine(Root, WritableName);
    public string WritableLayer(string containerId) => Path.Combine(WritableLayers, containerId);
    /// <summary>The overlay upperdir: what the container wrote.</summary>
    public string WritableUpper(string containerId) => Path.Combine(WritableLayer(containerId), "upper");
    public string WritableWork(string containerId) => Path.Combine(WritableLayer(containerId), "work");

    // Below --state.
    /// <summary>What the daemon creates directly below --state (runtime roots come from the configured handlers).</summary>
    public static readonly IReadOnlyList<string> StateChildren = [ContainersName, PodsName, PinsName, CniName, MonitorName, ShimName, ExecScratchName, InfraRootfsName];
    /// <summary>The state children a user-namespace pod's root must pass through: bundles and pod dirs.</summary>
    public static readonly IReadOnlyList<string> TraversableStateChildren = [ContainersName, PodsName];
    /// <summary>The static pause rootfs' directory name below --state.</summary>
    public const string InfraRootfsName = "infra-rootfs";

    /// <summary>Container bundles (config.json, rootfs mount point, monitor sockets), one per container ID.</summary>
    public string Bundles => Path.Combine(State, ContainersName);
    public string Bundle(string containerId) => Path.Combine(Bundles, containerId);
    public string BundleRootfs(string containerId) => Path.Combine(Bundle(containerId), "rootfs");
    /// <summary>Pod dirs (hostname, hosts, resolv.conf, shm, the infra's bundle), one per pod ID.</summary>
    public string PodDirs => Path.Combine(State, PodsName);
    public string PodDir(string podId) => Path.Combine(PodDirs, podId);
    /// <summary>Namespaces pinned to files, one directory per pod ID.</summary>
    public string NamespacePins => Path.Combine(State, PinsName);
    /// <summary>CNI results, one ID.json per pod.</summary>
    public string CniResults => Path.Combine(State, CniName);
    /// <summary>conmon's pid, exit and socket files, shared by every handler's monitor (IDs are unique).</summary>
    public string MonitorDir => Path.Combine(State, MonitorName);
    /// <summary>The default --root of a runtime handler's binary.</summary>
    public string RuntimeRoot(string handlerName) => Path.Combine(State, handlerName);
    /// <summary>The shim a handler's runtime runs behind, with its per-container fifos.</summary>
    public string ShimDir(string handlerName) => Path.Combine(State, ShimName, handlerName);
    /// <summary>Short, so conmon's attach socket for each exec fits below it.</summary>
    public string ExecScratch => Path.Combine(State, ExecScratchName);
    public string InfraRootfs => Path.Combine(State, InfraRootfsName);

    const string ImagesName = "images", PodsName = "pods", ContainersName = "containers", WritableName = "rw";
    const string PinsName = "ns", CniName = "cni", MonitorName = "mon", ShimName = "shim", ExecScratchName = "x";
}
