using CriShim.Errors;
using System.Text.Json;
using CriShim.Stores;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>PodSandboxStatus and ListPodSandbox: answered from the pod store alone.</summary>
public sealed partial class RuntimeServiceHandler
{
    public override Task<PodSandboxStatusResponse> PodSandboxStatus(PodSandboxStatusRequest request, ServerCallContext context)
    {
        var pod = RequirePod(request.PodSandboxId);
        var response = new PodSandboxStatusResponse { Status = pod.ToCriStatus(), Timestamp = RecordMapping.UnixNanos(DateTimeOffset.UtcNow) };
        response.ContainersStatuses.Add(Containers.InPod(pod.Id).Select(c => c.ToCriStatus()));
        if (request.Verbose)
            response.Info["info"] = JsonSerializer.Serialize(new PodSandboxInfo(
                pod.Id, pod.RuntimeHandler, pod.PodDir, pod.NetNsPath, pod.IpcNsPath, pod.UtsNsPath,
                pod.InfraContainerId, pod.CgroupParent, State: pod.State.ToString(),
                Config: JsonDocument.Parse(Google.Protobuf.JsonFormatter.Default.Format(pod.PodConfig())).RootElement),
                JsonOptions.Indented.Info<PodSandboxInfo>());
        return Task.FromResult(response);
    }

    public override Task<ListPodSandboxResponse> ListPodSandbox(ListPodSandboxRequest request, ServerCallContext context)
    {
        var response = new ListPodSandboxResponse();
        response.Items.Add(FilterPods(request.Filter).Select(ListItems.For));
        return Task.FromResult(response);
    }

    public override Task StreamPodSandboxes(StreamPodSandboxesRequest request, IServerStreamWriter<StreamPodSandboxesResponse> responseStream, ServerCallContext context) =>
        StreamPages(FilterPods(request.Filter).Select(ListItems.For), page =>
        {
            var response = new StreamPodSandboxesResponse();
            response.PodSandboxes.Add(page);
            return response;
        }, responseStream, context.CancellationToken);

    IEnumerable<PodRecord> FilterPods(PodSandboxFilter? filter)
    {
        IEnumerable<PodRecord> pods = Pods.Ordered.Where(p => p.Complete);
        if (filter is not null)
        {
            if (!string.IsNullOrEmpty(filter.Id)) pods = pods.Where(p => p.Id.StartsWith(filter.Id, StringComparison.Ordinal));
            if (filter.State is not null) pods = pods.Where(p => p.CriState() == filter.State.State);
            if (filter.LabelSelector.Count > 0) pods = pods.Where(p => RecordMapping.MatchesLabels(p.PodConfig().Labels, filter.LabelSelector));
        }
        return pods;
    }

    PodRecord RequirePod(string id)
    {
        if (string.IsNullOrEmpty(id)) throw DomainException.Invalid("pod sandbox ID must not be empty");
        return Pods.Find(id) is { Complete: true } pod ? pod : throw DomainException.NotFound($"pod sandbox \"{id}\" not found");
    }
}
