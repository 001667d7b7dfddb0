using CriShim.Errors;
using System.Text.Json;
using CriShim.Stores;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>ContainerStatus and ListContainers: answered from the container store alone.</summary>
public sealed partial class RuntimeServiceHandler
{
    public override Task<ContainerStatusResponse> ContainerStatus(ContainerStatusRequest request, ServerCallContext context)
    {
        var container = RequireContainer(request.ContainerId);
        var response = new ContainerStatusResponse { Status = container.ToCriStatus() };
        if (request.Verbose)
            response.Info["info"] = JsonSerializer.Serialize(new ContainerInfo(
                container.Id, SandboxId: container.PodId, container.Pid, container.BundleDir, container.RootfsDir,
                State: container.State.ToString(),
                Config: JsonDocument.Parse(Google.Protobuf.JsonFormatter.Default.Format(container.ContainerConfig())).RootElement,
                RuntimeSpec: ReadRuntimeSpec(container)), JsonOptions.Indented.Info<ContainerInfo>());
        return Task.FromResult(response);
    }

    public override Task<ListContainersResponse> ListContainers(ListContainersRequest request, ServerCallContext context)
    {
        var response = new ListContainersResponse();
        response.Containers.Add(FilterContainers(request.Filter).Select(ListItems.For));
        return Task.FromResult(response);
    }

    public override Task StreamContainers(StreamContainersRequest request, IServerStreamWriter<StreamContainersResponse> responseStream, ServerCallContext context) =>
        StreamPages(FilterContainers(request.Filter).Select(ListItems.For), page =>
        {
            var response = new StreamContainersResponse();
            response.Containers.Add(page);
            return response;
        }, responseStream, context.CancellationToken);

    IEnumerable<ContainerRecord> FilterContainers(ContainerFilter? filter)
    {
        IEnumerable<ContainerRecord> containers = Containers.Ordered.Where(c => c.Complete);
        if (filter is not null)
        {
            if (!string.IsNullOrEmpty(filter.Id)) containers = containers.Where(c => c.Id.StartsWith(filter.Id, StringComparison.Ordinal));
            if (!string.IsNullOrEmpty(filter.PodSandboxId)) containers = containers.Where(c => c.PodId.StartsWith(filter.PodSandboxId, StringComparison.Ordinal));
            if (filter.State is not null) containers = containers.Where(c => c.CriState() == filter.State.State);
            if (filter.LabelSelector.Count > 0) containers = containers.Where(c => RecordMapping.MatchesLabels(c.ContainerConfig().Labels, filter.LabelSelector));
        }
        return containers;
    }

    ContainerRecord RequireContainer(string id)
    {
        if (string.IsNullOrEmpty(id)) throw DomainException.Invalid("container ID must not be empty");
        return Containers.Find(id) is { Complete: true } c ? c : throw DomainException.NotFound($"container \"{id}\" not found");
    }

    static JsonElement? ReadRuntimeSpec(ContainerRecord c)
    {
        var path = Path.Combine(c.BundleDir, "config.json");
        try { return File.Exists(path) ? JsonDocument.Parse(File.ReadAllBytes(path)).RootElement : null; }
        catch (JsonException) { return null; }
    }
}
