using CriShim.Errors;
using CriShim.Containers;
using Grpc.Core;
using Runtime.V1;
using CriShim.Stores;
using CriShim.Oci.Cgroups;

namespace CriShim.Cri;

/// <summary>CreateContainer, StartContainer, StopContainer, RemoveContainer, ExecSync.</summary>
public sealed partial class ContainerRpcs(ContainerManager containerManager, RuntimeClasses.RuntimeClassRegistry runtimeClasses, CgroupUpdater cgroups,
    PodStore pods, ContainerStore containers, StoreLookups lookups, ListItemCache listItems, ILogger<ContainerRpcs> log)
{
    public async Task<CreateContainerResponse> CreateContainer(CreateContainerRequest request, ServerCallContext context)
    {
        var config = request.Config ?? throw DomainException.Invalid("CreateContainer needs a config");
        var pod = lookups.RequirePod(request.PodSandboxId);
        var podConfig = request.SandboxConfig ?? pod.PodConfig();
        var container = await containerManager.CreateAsync(pod, config, podConfig, context.CancellationToken);
        return new CreateContainerResponse { ContainerId = container.Id };
    }

    public async Task<StartContainerResponse> StartContainer(StartContainerRequest request, ServerCallContext context)
    {
        await containerManager.StartAsync(lookups.RequireContainer(request.ContainerId), context.CancellationToken);
        return new StartContainerResponse();
    }

    public async Task<StopContainerResponse> StopContainer(StopContainerRequest request, ServerCallContext context)
    {
        var grace = TimeSpan.FromSeconds(Math.Max(0, request.Timeout));
        await containerManager.StopAsync(lookups.RequireContainer(request.ContainerId), grace, context.CancellationToken);
        return new StopContainerResponse();
    }

    public async Task<RemoveContainerResponse> RemoveContainer(RemoveContainerRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.ContainerId)) throw DomainException.Invalid("container ID must not be empty");
        if (containers.Find(request.ContainerId) is { } c) await containerManager.RemoveAsync(c, context.CancellationToken);
        return new RemoveContainerResponse();
    }

    public async Task<ExecSyncResponse> ExecSync(ExecSyncRequest request, ServerCallContext context)
    {
        var c = lookups.RequireContainer(request.ContainerId);
        if (request.Cmd.Count == 0) throw DomainException.Invalid("ExecSync needs a command");
        if (c.State != Stores.ContainerRunState.Running) throw DomainException.Precondition($"container \"{c.Id}\" is not running");
        var timeout = request.Timeout > 0 ? TimeSpan.FromSeconds(request.Timeout) : Timeout.InfiniteTimeSpan;
        var monitor = runtimeClasses.ForOrDefault(pods.Get(c.PodId)).Monitor;
        Oci.Monitor.ExecSyncResult result;
        try { result = await monitor.ExecSyncAsync(c.Id, [.. request.Cmd], timeout, context.CancellationToken); }
        catch (Oci.Monitor.ContainerExecException e) { throw new DomainException(ErrorKind.Unknown, e.Message); }
        if (result.TimedOut)
            throw new DomainException(ErrorKind.DeadlineExceeded, $"command {string.Join(' ', request.Cmd)} timed out after {request.Timeout}s");
        // The monitor capped the output to fit one response (MaxExecOutputBytes); the arrays are ours alone, so no copy.
        return new ExecSyncResponse
        {
            ExitCode = result.ExitCode,
            Stdout = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(result.Stdout),
            Stderr = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(result.Stderr),
        };
    }
}
