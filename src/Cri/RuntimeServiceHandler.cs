using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>
/// The CRI RuntimeService: a façade over the RPC groups (<see cref="PodSandboxRpcs"/>, <see cref="ContainerRpcs"/>,
/// <see cref="StatsRpcs"/>, <see cref="StreamingRpcs"/>, <see cref="RuntimeStatusRpcs"/>, <see cref="ContainerEventRpcs"/>),
/// each a singleton with its own dependencies; every override forwards to one of them.
/// RPCs not overridden answer Unimplemented (named by <see cref="ErrorInterceptor"/>).
/// </summary>
public sealed class RuntimeServiceHandler(
    PodSandboxRpcs podSandboxes,
    ContainerRpcs containers,
    StatsRpcs stats,
    StreamingRpcs streaming,
    RuntimeStatusRpcs runtimeStatus,
    ContainerEventRpcs containerEvents)
    : RuntimeService.RuntimeServiceBase
{
    public override Task<RunPodSandboxResponse> RunPodSandbox(RunPodSandboxRequest request, ServerCallContext context) => podSandboxes.RunPodSandbox(request, context);
    public override Task<StopPodSandboxResponse> StopPodSandbox(StopPodSandboxRequest request, ServerCallContext context) => podSandboxes.StopPodSandbox(request, context);
    public override Task<RemovePodSandboxResponse> RemovePodSandbox(RemovePodSandboxRequest request, ServerCallContext context) => podSandboxes.RemovePodSandbox(request, context);
    public override Task<PodSandboxStatusResponse> PodSandboxStatus(PodSandboxStatusRequest request, ServerCallContext context) => podSandboxes.PodSandboxStatus(request, context);
    public override Task<ListPodSandboxResponse> ListPodSandbox(ListPodSandboxRequest request, ServerCallContext context) => podSandboxes.ListPodSandbox(request, context);
    public override Task StreamPodSandboxes(StreamPodSandboxesRequest request, IServerStreamWriter<StreamPodSandboxesResponse> responseStream, ServerCallContext context) => podSandboxes.StreamPodSandboxes(request, responseStream, context);

    public override Task<CreateContainerResponse> CreateContainer(CreateContainerRequest request, ServerCallContext context) => containers.CreateContainer(request, context);
    public override Task<StartContainerResponse> StartContainer(StartContainerRequest request, ServerCallContext context) => containers.StartContainer(request, context);
    public override Task<StopContainerResponse> StopContainer(StopContainerRequest request, ServerCallContext context) => containers.StopContainer(request, context);
    public override Task<RemoveContainerResponse> RemoveContainer(RemoveContainerRequest request, ServerCallContext context) => containers.RemoveContainer(request, context);
    public override Task<ExecSyncResponse> ExecSync(ExecSyncRequest request, ServerCallContext context) => containers.ExecSync(request, context);
    public override Task<UpdateContainerResourcesResponse> UpdateContainerResources(UpdateContainerResourcesRequest request, ServerCallContext context) => containers.UpdateContainerResources(request, context);
    public override Task<UpdatePodSandboxResourcesResponse> UpdatePodSandboxResources(UpdatePodSandboxResourcesRequest request, ServerCallContext context) => containers.UpdatePodSandboxResources(request, context);
    public override Task<ReopenContainerLogResponse> ReopenContainerLog(ReopenContainerLogRequest request, ServerCallContext context) => containers.ReopenContainerLog(request, context);
    public override Task<ContainerStatusResponse> ContainerStatus(ContainerStatusRequest request, ServerCallContext context) => containers.ContainerStatus(request, context);
    public override Task<ListContainersResponse> ListContainers(ListContainersRequest request, ServerCallContext context) => containers.ListContainers(request, context);
    public override Task StreamContainers(StreamContainersRequest request, IServerStreamWriter<StreamContainersResponse> responseStream, ServerCallContext context) => containers.StreamContainers(request, responseStream, context);

    public override Task<ContainerStatsResponse> ContainerStats(ContainerStatsRequest request, ServerCallContext context) => stats.ContainerStats(request, context);
    public override Task<ListContainerStatsResponse> ListContainerStats(ListContainerStatsRequest request, ServerCallContext context) => stats.ListContainerStats(request, context);
    public override Task StreamContainerStats(StreamContainerStatsRequest request, IServerStreamWriter<StreamContainerStatsResponse> responseStream, ServerCallContext context) => stats.StreamContainerStats(request, responseStream, context);
    public override Task<PodSandboxStatsResponse> PodSandboxStats(PodSandboxStatsRequest request, ServerCallContext context) => stats.PodSandboxStats(request, context);
    public override Task<ListPodSandboxStatsResponse> ListPodSandboxStats(ListPodSandboxStatsRequest request, ServerCallContext context) => stats.ListPodSandboxStats(request, context);
    public override Task StreamPodSandboxStats(StreamPodSandboxStatsRequest request, IServerStreamWriter<StreamPodSandboxStatsResponse> responseStream, ServerCallContext context) => stats.StreamPodSandboxStats(request, responseStream, context);
    public override Task<ListMetricDescriptorsResponse> ListMetricDescriptors(ListMetricDescriptorsRequest request, ServerCallContext context) => stats.ListMetricDescriptors(request, context);
    public override Task<ListPodSandboxMetricsResponse> ListPodSandboxMetrics(ListPodSandboxMetricsRequest request, ServerCallContext context) => stats.ListPodSandboxMetrics(request, context);
    public override Task StreamPodSandboxMetrics(StreamPodSandboxMetricsRequest request, IServerStreamWriter<StreamPodSandboxMetricsResponse> responseStream, ServerCallContext context) => stats.StreamPodSandboxMetrics(request, responseStream, context);

    public override Task<ExecResponse> Exec(ExecRequest request, ServerCallContext context) => streaming.Exec(request, context);
    public override Task<AttachResponse> Attach(AttachRequest request, ServerCallContext context) => streaming.Attach(request, context);
    public override Task<PortForwardResponse> PortForward(PortForwardRequest request, ServerCallContext context) => streaming.PortForward(request, context);

    public override Task<VersionResponse> Version(VersionRequest request, ServerCallContext context) => runtimeStatus.Version(request, context);
    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) => runtimeStatus.Status(request, context);
    public override Task<RuntimeConfigResponse> RuntimeConfig(RuntimeConfigRequest request, ServerCallContext context) => runtimeStatus.RuntimeConfig(request, context);
    public override Task<UpdateRuntimeConfigResponse> UpdateRuntimeConfig(UpdateRuntimeConfigRequest request, ServerCallContext context) => runtimeStatus.UpdateRuntimeConfig(request, context);

    public override Task GetContainerEvents(GetEventsRequest request, IServerStreamWriter<ContainerEventResponse> responseStream, ServerCallContext context) => containerEvents.GetContainerEvents(request, responseStream, context);
}
