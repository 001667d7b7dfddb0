using CriShim.Errors;
using CriShim.Streaming;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>
/// Exec, Attach and PortForward: validate, park the request in the streaming server and answer its single-use
/// URL; the kubelet (or crictl) then connects there. The streaming URL base shows in verbose Status.
/// </summary>
public sealed partial class StreamingRpcs(StreamingServer streaming, IStreamingTargets streamingTargets)
{
    public async Task<ExecResponse> Exec(ExecRequest request, ServerCallContext context)
    {
        if (request.Cmd.Count == 0) throw DomainException.Invalid("cmd must not be empty");
        ValidateStdio(request.Tty, request.Stdin, request.Stdout, request.Stderr);
        var container = await RunningContainer(request.ContainerId, context.CancellationToken);
        var url = Park(new ExecStreamRequest(container, request.Cmd.ToList(), request.Tty, request.Stdin, request.Stdout, request.Stderr));
        return new ExecResponse { Url = url };
    }

    public async Task<AttachResponse> Attach(AttachRequest request, ServerCallContext context)
    {
        ValidateStdio(request.Tty, request.Stdin, request.Stdout, request.Stderr);
        var container = await RunningContainer(request.ContainerId, context.CancellationToken);
        var url = Park(new AttachStreamRequest(container, request.Tty, request.Stdin, request.Stdout, request.Stderr));
        return new AttachResponse { Url = url };
    }

    public async Task<PortForwardResponse> PortForward(PortForwardRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.PodSandboxId)) throw DomainException.Invalid("pod_sandbox_id is required");
        if (request.Port.Any(p => p is < 1 or > 65535)) throw DomainException.Invalid("ports must be between 1 and 65535");
        var pod = await streamingTargets.FindReadyPodAsync(request.PodSandboxId, context.CancellationToken)
                  ?? throw DomainException.NotFound($"pod sandbox {request.PodSandboxId} not found or not ready");
        var url = Park(new PortForwardStreamRequest(pod, request.Port.ToList()));
        return new PortForwardResponse { Url = url };
    }

    static void ValidateStdio(bool tty, bool stdin, bool stdout, bool stderr)
    {
        if (tty && stderr) throw DomainException.Invalid("tty and stderr cannot both be true");
        if (!stdin && !stdout && !stderr) throw DomainException.Invalid("one of stdin, stdout, or stderr must be set");
    }

    async Task<ContainerTarget> RunningContainer(string containerId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(containerId)) throw DomainException.Invalid("container_id is required");
        return await streamingTargets.FindRunningContainerAsync(containerId, ct)
               ?? throw DomainException.NotFound($"container {containerId} not found or not running");
    }

    string Park(StreamRequest request)
    {
        try { return streaming.UrlFor(request); }
        catch (RequestCacheFullException e) { throw new DomainException(ErrorKind.ResourceExhausted, e.Message); }
    }
}
