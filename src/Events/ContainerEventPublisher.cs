using CriShim.Cri;
using CriShim.Stores;
using Runtime.V1;

namespace CriShim.Events;

/// <summary>Builds and publishes the events kubelet's evented PLEG expects: pod status plus all its container statuses.</summary>
public sealed class ContainerEventPublisher(ContainerEventHub hub, PodStore pods, ContainerStore containers)
{
    public void Publish(string containerId, string podId, ContainerEventType type)
    {
        if (hub.SubscriberCount == 0) return;
        var e = new ContainerEventResponse
        {
            ContainerId = containerId, ContainerEventType = type,
            CreatedAt = RecordMapping.UnixNanos(DateTimeOffset.UtcNow),
        };
        if (pods.Get(podId) is { } pod) e.PodSandboxStatus = pod.ToCriStatus();
        e.ContainersStatuses.Add(containers.InPod(podId).Where(c => c.Complete).Select(c => c.ToCriStatus()));
        hub.Publish(e);
    }
}
