using CriShim.Errors;
using CriShim.Pods;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>RunPodSandbox, StopPodSandbox, RemovePodSandbox.</summary>
public sealed partial class RuntimeServiceHandler
{
    PodSandboxManager PodManager => services.GetRequiredService<PodSandboxManager>();

    public override async Task<RunPodSandboxResponse> RunPodSandbox(RunPodSandboxRequest request, ServerCallContext context)
    {
        var config = request.Config ?? throw DomainException.Invalid("RunPodSandbox needs a config");
        var pod = await PodManager.RunAsync(config, request.RuntimeHandler, context.CancellationToken);
        return new RunPodSandboxResponse { PodSandboxId = pod.Id };
    }

    public override async Task<StopPodSandboxResponse> StopPodSandbox(StopPodSandboxRequest request, ServerCallContext context)
    {
        await PodManager.StopAsync(RequirePod(request.PodSandboxId), context.CancellationToken);
        return new StopPodSandboxResponse();
    }

    public override async Task<RemovePodSandboxResponse> RemovePodSandbox(RemovePodSandboxRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.PodSandboxId)) throw DomainException.Invalid("pod sandbox ID must not be empty");
        // Removing what is already gone succeeds: kubelet retries removals.
        if (Pods.Find(request.PodSandboxId) is { } pod) await PodManager.RemoveAsync(pod, context.CancellationToken);
        return new RemovePodSandboxResponse();
    }
}
