using CriShim.Config;
using CriShim.Streaming.PortForward;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CriShim.Streaming;

public static class StreamingServices
{
    /// <summary>
    /// Registers the streaming server (started with the daemon as a hosted service) and its pod dialer.
    /// The caller registers the <see cref="IStreamingTargets"/> the server looks containers and pods up in.
    /// </summary>
    public static IServiceCollection AddStreaming(this IServiceCollection services, CriShimOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(options.Streaming with
        {
            ScratchDir = new DaemonLayout(options).ExecScratch,
        });
        services.TryAddSingleton<IPodDialer, NetNsPodDialer>();
        services.AddSingleton<StreamingServer>();
        services.AddHostedService(sp => sp.GetRequiredService<StreamingServer>());
        return services;
    }
}
