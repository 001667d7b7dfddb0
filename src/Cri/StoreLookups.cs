using CriShim.Errors;
using CriShim.Stores;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>
/// What several RPC groups ask of the pod and container stores: a complete record by ID (Require*, answering
/// InvalidArgument or NotFound) and the complete records a CRI filter selects, in store order (Filter*).
/// </summary>
public sealed class StoreLookups(PodStore pods, ContainerStore containers)
{
    public IEnumerable<PodRecord> FilterPods(PodSandboxFilter? filter)
    {
        IEnumerable<PodRecord> selected = pods.Ordered.Where(p => p.Complete);
        if (filter is not null)
        {
            if (!string.IsNullOrEmpty(filter.Id)) selected = selected.Where(p => p.Id.StartsWith(filter.Id, StringComparison.Ordinal));
            if (filter.State is not null) selected = selected.Where(p => p.CriState() == filter.State.State);
            if (filter.LabelSelector.Count > 0) selected = selected.Where(p => RecordMapping.MatchesLabels(p.PodConfig().Labels, filter.LabelSelector));
        }
        return selected;
    }

    public PodRecord RequirePod(string id)
    {
        if (string.IsNullOrEmpty(id)) throw DomainException.Invalid("pod sandbox ID must not be empty");
        return pods.Find(id) is { Complete: true } pod ? pod : throw DomainException.NotFound($"pod sandbox \"{id}\" not found");
    }

    public IEnumerable<ContainerRecord> FilterContainers(ContainerFilter? filter)
    {
        IEnumerable<ContainerRecord> selected = containers.Ordered.Where(c => c.Complete);
        if (filter is not null)
        {
            if (!string.IsNullOrEmpty(filter.Id)) selected = selected.Where(c => c.Id.StartsWith(filter.Id, StringComparison.Ordinal));
            if (!string.IsNullOrEmpty(filter.PodSandboxId)) selected = selected.Where(c => c.PodId.StartsWith(filter.PodSandboxId, StringComparison.Ordinal));
            if (filter.State is not null) selected = selected.Where(c => c.CriState() == filter.State.State);
            if (filter.LabelSelector.Count > 0) selected = selected.Where(c => RecordMapping.MatchesLabels(c.ContainerConfig().Labels, filter.LabelSelector));
        }
        return selected;
    }

    public ContainerRecord RequireContainer(string id)
    {
        if (string.IsNullOrEmpty(id)) throw DomainException.Invalid("container ID must not be empty");
        return containers.Find(id) is { Complete: true } c ? c : throw DomainException.NotFound($"container \"{id}\" not found");
    }
}
