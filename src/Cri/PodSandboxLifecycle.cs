using CriShim.Errors;
using CriShim.Pods;
using Grpc.Core;
using Runtime.V1;
using CriShim.Stores;

namespace CriShim.Cri;

/// <summary>RunPodSandbox, StopPodSandbox, RemovePodSandbox.</summary>
public sealed partial class PodSandboxRpcs(PodSandboxManager podManager, PodStore pods, ContainerStore containers, StoreLookups lookups, ListItemCache listItems)
{
    public async Task<RunPodSandboxResponse> RunPodSandbox(RunPodSandboxRequest request, ServerCallContext context)
    {
        var config = request.Config ?? throw DomainException.Invalid("RunPodSandbox needs a config");
        var pod = await podManager.RunAsync(config, request.RuntimeHandler, context.CancellationToken);
        return new RunPodSandboxResponse { PodSandboxId = pod.Id };
    }

    public async Task<StopPodSandboxResponse> StopPodSandbox(StopPodSandboxRequest request, ServerCallContext context)
    {
        await podManager.StopAsync(lookups.RequirePod(request.PodSandboxId), context.CancellationToken);
        return new StopPodSandboxResponse();
    }

    public async Task<RemovePodSandboxResponse> RemovePodSandbox(RemovePodSandboxRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.PodSandboxId)) throw DomainException.Invalid("pod sandbox ID must not be empty");
        // Removing what is already gone succeeds: kubelet retries removals.
        if (pods.Find(request.PodSandboxId) is { } pod) await podManager.RemoveAsync(pod, context.CancellationToken);
        return new RemovePodSandboxResponse();
    }
}
