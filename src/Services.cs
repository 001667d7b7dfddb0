using CriShim.Config;
using CriShim.Streaming;

namespace CriShim;

/// <summary>Registers the stores, the image puller and the runtime with dependency injection.</summary>
public static class Services
{
    public static void Register(IServiceCollection services, CriShimOptions options)
    {
        services.AddSingleton<RuntimeState>();
        services.AddStreaming(options);
    }
}
