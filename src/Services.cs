using CriShim.Config;
using CriShim.Images;
using CriShim.Stores;

namespace CriShim;

/// <summary>Registers the stores, the image puller and the runtime with dependency injection.</summary>
public static class Services
{
    public static void Register(IServiceCollection services, CriShimOptions options)
    {
        services.AddSingleton<RuntimeState>();
        services.AddSingleton<Metrics.DaemonMetrics>();
        services.AddSingleton<Events.ContainerEventHub>();
        services.AddSingleton<Events.ContainerEvents>();
        services.AddSingleton(sp => new PodStore(Path.Combine(options.Root, "pods"), sp.GetRequiredService<ILogger<PodStore>>()));
        services.AddSingleton(sp => new ContainerStore(Path.Combine(options.Root, "containers"), sp.GetRequiredService<ILogger<ContainerStore>>()));
        AddImages(services);
    }

    /// <summary>Image store and puller: ImageStore resolves images (ImageRecord, with LayerDirs) for the container stage.</summary>
    static void AddImages(IServiceCollection services)
    {
        services.AddSingleton(sp => new ImagePaths(sp.GetRequiredService<CriShimOptions>()));
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
}
