using CriShim.Config;
using CriShim.Containers;
using CriShim.Pods;
using CriShim.Oci.Cgroups;
using CriShim.Oci.Monitor;
using CriShim.Oci.Network;
using CriShim.Oci.Runc;
using CriShim.Images;
using CriShim.Stores;
using CriShim.Streaming;

namespace CriShim;

/// <summary>Registers the stores, the image puller and the runtime with dependency injection.</summary>
public static class Services
{
    public static void Register(IServiceCollection services, CriShimOptions options)
    {
        services.AddSingleton<RuntimeState>();
        services.AddSingleton<Metrics.DaemonMetrics>();
        services.AddSingleton<Events.ContainerEventHub>();
        services.AddSingleton<Events.ContainerEventPublisher>();
        var layout = new DaemonLayout(options);
        services.AddSingleton(layout);
        services.AddSingleton(sp => new PodStore(layout.PodRecords, sp.GetRequiredService<ILogger<PodStore>>()));
        services.AddSingleton(sp => new ContainerStore(layout.ContainerRecords, sp.GetRequiredService<PodStore>(), sp.GetRequiredService<ILogger<ContainerStore>>()));
        AddImages(services);
        AddRuntime(services, options, layout);
        services.AddSingleton<IStreamingTargets, StoreStreamingTargets>();
        services.AddStreaming(options);
    }

    /// <summary>runc and conmon under the state dir, the pod and container managers, recovery and exit tracking.</summary>
    static void AddRuntime(IServiceCollection services, CriShimOptions options, DaemonLayout layout)
    {
        // Every handler's runtime and monitor; the default handler's also stand for "the" runtime where one is
        // enough (the exit watcher: all monitors share one exit directory).
        services.AddSingleton(sp => new RuntimeClasses.RuntimeClassRegistry(options, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp => sp.GetRequiredService<RuntimeClasses.RuntimeClassRegistry>().Default.Runtime);
        services.AddSingleton(sp => sp.GetRequiredService<RuntimeClasses.RuntimeClassRegistry>().Default.Monitor);
        services.AddSingleton<ExitWatcher>();
        services.AddSingleton(sp => new NamespacePins(layout.NamespacePins, sp.GetRequiredService<ILogger<NamespacePins>>()));
        services.AddSingleton(sp => new CniManager(new CniSettings(options.Cni.ConfDir, [options.Cni.BinDir], layout.CniResults),
            sp.GetRequiredService<ILogger<CniManager>>()));
        services.AddSingleton<InfraRootfs>();
        services.AddSingleton<IContainerRuntime, OciContainerRuntime>();
        services.AddSingleton<ContainerManager>();
        services.AddSingleton<IPodRuntime, OciPodRuntime>();
        services.AddSingleton<PodSandboxManager>();
        services.AddSingleton<ILayerUsers, ContainerLayerUsers>();
        services.AddSingleton<Supervisor>();
        services.AddSingleton(_ => CgroupLayout.Detect());
        services.AddSingleton(sp => new CgroupCleaner(sp.GetRequiredService<CgroupLayout>(), sp.GetRequiredService<ILogger<CgroupCleaner>>()));
        services.AddSingleton<CgroupStatsReader>(sp => new CgroupStatsReader(sp.GetRequiredService<CgroupLayout>()));
        services.AddSingleton(sp => new CgroupUpdater(sp.GetRequiredService<CgroupLayout>(), sp.GetRequiredService<ILogger<CgroupUpdater>>()));
        services.AddSingleton<NanoCoresTracker>();
        services.AddSingleton(_ => new FilesystemUsageCache());
        services.AddSingleton(sp => new NetworkStatsReader(sp.GetRequiredService<ILogger<NetworkStatsReader>>()));
        services.AddSingleton<Cri.ListItemCache>();
        services.AddSingleton<Stats.StatsCollector>();
        AddRpcGroups(services);
        services.AddHostedService(sp => sp.GetRequiredService<Supervisor>());
        services.AddHostedService<Host.IdleMemoryTrimmer>(); // a burst's memory given back once the daemon is quiet
    }

    /// <summary>Image store and puller: ImageStore resolves images (ImageRecord, with LayerDirs) for the container stage.</summary>
    static void AddImages(IServiceCollection services)
    {
        services.AddSingleton(sp => new ImagePaths(Path.GetFullPath(sp.GetRequiredService<DaemonLayout>().ImagesDir)));
        services.AddSingleton<PullTimeouts>();
        services.AddSingleton<RegistryHosts>();
        services.AddSingleton(sp => new RegistryClient(new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = true, // blob downloads redirect to storage; the handler drops Authorization on redirect
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        }) { Timeout = Timeout.InfiniteTimeSpan }, sp.GetRequiredService<RegistryHosts>(),
            sp.GetRequiredService<PullTimeouts>(), sp.GetRequiredService<ILogger<RegistryClient>>()));
        services.AddSingleton<ContentStore>();
        services.AddSingleton<LayerStore>();
        services.AddSingleton<ImageStore>();
        services.AddSingleton<ImagePuller>();
    }

    /// <summary>The RuntimeService's RPC groups, which the <see cref="Cri.RuntimeServiceHandler"/> façade forwards to.</summary>
    static void AddRpcGroups(IServiceCollection services)
    {
        services.AddSingleton<Cri.StoreLookups>();
        services.AddSingleton<Cri.PodSandboxRpcs>();
        services.AddSingleton<Cri.ContainerRpcs>();
        services.AddSingleton<Cri.StatsRpcs>();
        services.AddSingleton<Cri.StreamingRpcs>();
        services.AddSingleton<Cri.RuntimeStatusRpcs>();
        services.AddSingleton<Cri.ContainerEventRpcs>();
    }
}
