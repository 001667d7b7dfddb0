using System.Runtime.CompilerServices;
using CriShim.Stores;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>
/// The ListPodSandbox/ListContainers item (and the container and pod stats attributes) of each record, built once per record instead of once per call. Records
/// are immutable and every change makes a new one, so keying by the record instance (weakly) needs no
/// invalidation: a changed record gets a fresh item, and a removed one's item goes with it to the GC.
/// The items are shared between responses: never change one.
/// </summary>
public sealed class ListItemCache
{
    readonly ConditionalWeakTable<PodRecord, PodSandbox> _pods = new();
    readonly ConditionalWeakTable<ContainerRecord, Container> _containers = new();
    readonly ConditionalWeakTable<ContainerRecord, ContainerAttributes> _attributes = new();
    readonly ConditionalWeakTable<PodRecord, PodSandboxAttributes> _podAttributes = new();

    public PodSandbox For(PodRecord pod) => _pods.GetValue(pod, static p => p.ToCri());

    public Container For(ContainerRecord container) => _containers.GetValue(container, static c => c.ToCri());

    /// <summary>The attributes part of the container's stats (what does not change between samples).</summary>
    public ContainerAttributes AttributesOf(ContainerRecord container) => _attributes.GetValue(container, static c => c.ToCriAttributes());

    /// <summary>The attributes part of the pod's stats.</summary>
    public PodSandboxAttributes AttributesOf(PodRecord pod) => _podAttributes.GetValue(pod, static p => p.ToCriAttributes());
}
