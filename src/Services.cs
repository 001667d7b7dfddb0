using CriShim.Config;
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
    }
}
