using CriShim.Config;
using CriShim.Streaming.PortForward;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CriShim.Streaming;

public static class StreamingServices
{
    /// <summary>
    /// Registers the streaming server (started with the daemon as a hosted service) and its pod dialer.
    /// The daemon must register its own <see cref="IStreamingTargets"/>; until it does every lookup answers
    /// "not found".
    /// </summary>
    public static IServiceCollection AddStreaming(this IServiceCollection services, CriShimOptions options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(options.Streaming with
        {
            ConmonBinary = options.Conmon,
            ScratchDir = new DaemonLayout(options).ExecScratch,
        });
        services.TryAddSingleton<IPodDialer, NetNsPodDialer>();
        services.TryAddSingleton<IStreamingTargets, NoStreamingTargets>();
        services.AddSingleton<StreamingServer>();
        services.AddHostedService(sp => sp.GetRequiredService<StreamingServer>());
        return services;
    }

    sealed class NoStreamingTargets : IStreamingTargets
    {
        public Task<ContainerTarget?> FindRunningContainerAsync(string containerId, CancellationToken ct) => Task.FromResult<ContainerTarget?>(null);
        public Task<PodTarget?> FindReadyPodAsync(string podSandboxId, CancellationToken ct) => Task.FromResult<PodTarget?>(null);
    }
}
