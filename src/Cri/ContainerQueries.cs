using CriShim.Errors;
using System.Text.Json;
using CriShim.Stores;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>ContainerStatus and ListContainers: answered from the container store alone.</summary>
public sealed partial class ContainerRpcs
{
    public Task<ContainerStatusResponse> ContainerStatus(ContainerStatusRequest request, ServerCallContext context)
    {
        var container = lookups.RequireContainer(request.ContainerId);
        var response = new ContainerStatusResponse { Status = container.ToCriStatus() };
        if (request.Verbose)
            response.Info["info"] = JsonSerializer.Serialize(new ContainerInfo(
                container.Id, SandboxId: container.PodId, container.Pid, container.BundleDir, container.RootfsDir,
                State: container.State.ToString(),
                Config: JsonDocument.Parse(Google.Protobuf.JsonFormatter.Default.Format(container.ContainerConfig())).RootElement,
                RuntimeSpec: ReadRuntimeSpec(container)), JsonOptions.Indented.Info<ContainerInfo>());
        return Task.FromResult(response);
    }

    public Task<ListContainersResponse> ListContainers(ListContainersRequest request, ServerCallContext context)
    {
        var response = new ListContainersResponse();
        response.Containers.Add(lookups.FilterContainers(request.Filter).Select(listItems.For));
        return Task.FromResult(response);
    }

    public Task StreamContainers(StreamContainersRequest request, IServerStreamWriter<StreamContainersResponse> responseStream, ServerCallContext context) =>
        StreamPaging.StreamPages(lookups.FilterContainers(request.Filter).Select(listItems.For), page =>
        {
            var response = new StreamContainersResponse();
            response.Containers.Add(page);
            return response;
        }, responseStream, context.CancellationToken);

    static JsonElement? ReadRuntimeSpec(ContainerRecord c)
    {
        var path = Path.Combine(c.BundleDir, "config.json");
        try { return File.Exists(path) ? JsonDocument.Parse(File.ReadAllBytes(path)).RootElement : null; }
        catch (JsonException) { return null; }
    }
}
