using CriShim.Stores;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>
/// ListMetricDescriptors, ListPodSandboxMetrics and StreamPodSandboxMetrics: the cAdvisor-style metrics kubelet
/// serves on /metrics/cadvisor when it takes them from the runtime, built from the same samples as the stats RPCs.
/// </summary>
public sealed partial class StatsRpcs
{
    static readonly string[] ContainerLabels = ["container", "id", "image", "name", "namespace", "pod"];
    static readonly string[] NetworkLabels = ["interface", "namespace", "pod"];

    static readonly (string Name, string Help, MetricType Type, string[] Labels)[] Descriptors =
    [
        ("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", MetricType.Counter, ContainerLabels),
        ("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed.", MetricType.Gauge, ContainerLabels),
        ("container_memory_working_set_bytes", "Current working set in bytes.", MetricType.Gauge, ContainerLabels),
        ("container_memory_rss", "Size of RSS in bytes.", MetricType.Gauge, ContainerLabels),
        ("container_memory_failures_total", "Cumulative count of memory allocation failures (page faults).", MetricType.Counter, ContainerLabels),
        ("container_fs_usage_bytes", "Number of bytes that are consumed by the container on this filesystem.", MetricType.Gauge, ContainerLabels),
        ("container_fs_inodes_total", "Number of inodes used by the container's writable layer.", MetricType.Gauge, ContainerLabels),
        ("container_network_receive_bytes_total", "Cumulative count of bytes received.", MetricType.Counter, NetworkLabels),
        ("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving.", MetricType.Counter, NetworkLabels),
        ("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted.", MetricType.Counter, NetworkLabels),
        ("container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting.", MetricType.Counter, NetworkLabels),
    ];

    public Task<ListMetricDescriptorsResponse> ListMetricDescriptors(ListMetricDescriptorsRequest request, ServerCallContext context)
    {
        var response = new ListMetricDescriptorsResponse();
        foreach (var (name, help, _, labels) in Descriptors)
            response.Descriptors.Add(new MetricDescriptor { Name = name, Help = help, LabelKeys = { labels } });
        return Task.FromResult(response);
    }

    public async Task<ListPodSandboxMetricsResponse> ListPodSandboxMetrics(ListPodSandboxMetricsRequest request, ServerCallContext context) =>
        new() { PodMetrics = { await CollectPodMetrics(context.CancellationToken) } };

    public async Task StreamPodSandboxMetrics(StreamPodSandboxMetricsRequest request, IServerStreamWriter<StreamPodSandboxMetricsResponse> responseStream, ServerCallContext context) =>
        await StreamPaging.StreamPages(await CollectPodMetrics(context.CancellationToken),
            page => new StreamPodSandboxMetricsResponse { PodSandboxMetrics = { page } }, responseStream, context.CancellationToken);

    async Task<List<PodSandboxMetrics>> CollectPodMetrics(CancellationToken ct)
    {
        var all = new List<PodSandboxMetrics>();
        foreach (var stats in await statsCollector.PodsAsync(lookups.FilterPods(null).Where(p => p.State == PodState.Ready).ToList(), ct))
        {
            var meta = stats.Attributes.Metadata;
            var metrics = new PodSandboxMetrics { PodSandboxId = stats.Attributes.Id };
            foreach (var c in stats.Linux.Containers)
            {
                var record = containers.Get(c.Attributes.Id);
                string[] labels = [c.Attributes.Metadata.Name, c.Attributes.Id, record?.ImageRef ?? "", c.Attributes.Metadata.Name, meta.Namespace, meta.Name];
                var cm = new ContainerMetrics { ContainerId = c.Attributes.Id };
                void Add(string name, MetricType type, ulong? value)
                {
                    if (value is { } v) cm.Metrics.Add(new Metric { Name = name, MetricType = type, LabelValues = { labels }, Value = new UInt64Value { Value = v } });
                }
                Add("container_cpu_usage_seconds_total", MetricType.Counter, c.Cpu?.UsageCoreNanoSeconds?.Value / 1_000_000_000);
                Add("container_memory_usage_bytes", MetricType.Gauge, c.Memory?.UsageBytes?.Value);
                Add("container_memory_working_set_bytes", MetricType.Gauge, c.Memory?.WorkingSetBytes?.Value);
                Add("container_memory_rss", MetricType.Gauge, c.Memory?.RssBytes?.Value);
                Add("container_memory_failures_total", MetricType.Counter, c.Memory?.PageFaults?.Value);
                Add("container_fs_usage_bytes", MetricType.Gauge, c.WritableLayer?.UsedBytes?.Value);
                Add("container_fs_inodes_total", MetricType.Gauge, c.WritableLayer?.InodesUsed?.Value);
                metrics.ContainerMetrics.Add(cm);
            }
            foreach (var i in stats.Linux.Network?.Interfaces ?? [])
            {
                string[] labels = [i.Name, meta.Namespace, meta.Name];
                void Add(string name, ulong? value)
                {
                    if (value is { } v) metrics.Metrics.Add(new Metric { Name = name, MetricType = MetricType.Counter, LabelValues = { labels }, Value = new UInt64Value { Value = v } });
                }
                Add("container_network_receive_bytes_total", i.RxBytes?.Value);
                Add("container_network_receive_errors_total", i.RxErrors?.Value);
                Add("container_network_transmit_bytes_total", i.TxBytes?.Value);
                Add("container_network_transmit_errors_total", i.TxErrors?.Value);
            }
            all.Add(metrics);
        }
        return all;
    }
}
