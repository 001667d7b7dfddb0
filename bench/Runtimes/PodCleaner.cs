using Grpc.Core;
using Runtime.V1;

namespace CriShim.Bench.Runtimes;

/// <summary>Stops and removes pods through CRI, several at a time.</summary>
static class PodCleaner
{
    public static async Task RemoveAllPodsAsync(RuntimeService.RuntimeServiceClient cri, TimeSpan timeout)
    {
        var pods = await cri.ListPodSandboxAsync(new ListPodSandboxRequest(), deadline: DateTime.UtcNow.AddSeconds(30));
        await RemovePodsAsync(cri, pods.Items.Select(p => p.Id).ToList(), timeout);
    }

    public static async Task RemovePodsAsync(RuntimeService.RuntimeServiceClient cri, IReadOnlyList<string> podIds, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        await Parallel.ForEachAsync(podIds, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, ct) =>
        {
            try
            {
                await cri.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id }, deadline: deadline, cancellationToken: ct);
                await cri.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id }, deadline: deadline, cancellationToken: ct);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound) { }
        });
    }
}
