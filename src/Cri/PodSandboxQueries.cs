using CriShim.Errors;
using System.Text.Json;
using CriShim.Stores;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>PodSandboxStatus and ListPodSandbox: answered from the pod store alone.</summary>
public sealed partial class PodSandboxRpcs
{
    public Task<PodSandboxStatusResponse> PodSandboxStatus(PodSandboxStatusRequest request, ServerCallContext context)
    {
        var pod = lookups.RequirePod(request.PodSandboxId);
        var response = new PodSandboxStatusResponse { Status = pod.ToCriStatus(), Timestamp = RecordMapping.UnixNanos(DateTimeOffset.UtcNow) };
        response.ContainersStatuses.Add(containers.InPod(pod.Id).Select(c => c.ToCriStatus()));
        if (request.Verbose)
            response.Info["info"] = JsonSerializer.Serialize(new PodSandboxInfo(
                pod.Id, pod.RuntimeHandler, pod.PodDir, pod.NetNsPath, pod.IpcNsPath, pod.UtsNsPath,
                pod.InfraContainerId, pod.CgroupParent, State: pod.State.ToString(),
                Config: JsonDocument.Parse(Google.Protobuf.JsonFormatter.Default.Format(pod.PodConfig())).RootElement),
                JsonOptions.Indented.Info<PodSandboxInfo>());
        return Task.FromResult(response);
    }

    public Task<ListPodSandboxResponse> ListPodSandbox(ListPodSandboxRequest request, ServerCallContext context)
    {
        var response = new ListPodSandboxResponse();
        response.Items.Add(lookups.FilterPods(request.Filter).Select(listItems.For));
        return Task.FromResult(response);
    }

    public Task StreamPodSandboxes(StreamPodSandboxesRequest request, IServerStreamWriter<StreamPodSandboxesResponse> responseStream, ServerCallContext context) =>
        StreamPaging.StreamPages(lookups.FilterPods(request.Filter).Select(listItems.For), page =>
        {
            var response = new StreamPodSandboxesResponse();
            response.PodSandboxes.Add(page);
            return response;
        }, responseStream, context.CancellationToken);
}
