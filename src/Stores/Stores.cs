namespace CriShim.Stores;

/// <summary>Pod sandboxes under ROOT/pods, with their reserved names.</summary>
public sealed class PodStore(string dir, ILogger<PodStore> log) : RecordStore<PodRecord>(dir, JsonOptions.Compact, log, p => _ = p.ParsedConfig)
{
    public NameRegistry Names { get; } = new();
}

/// <summary>Containers under ROOT/containers, with their reserved names.</summary>
public sealed class ContainerStore(string dir, ILogger<ContainerStore> log) : RecordStore<ContainerRecord>(dir, JsonOptions.Compact, log, c => _ = c.ParsedConfig)
{
    public NameRegistry Names { get; } = new();

    PodIndex? _byPod;

    /// <summary>The containers of one ordered snapshot by pod, built once per change of the store.</summary>
    sealed record PodIndex(IReadOnlyList<ContainerRecord> Snapshot, ILookup<string, ContainerRecord> ByPod);

    /// <summary>The pod's containers, oldest first: a lookup in an index of the current snapshot, not a scan of all containers.</summary>
    public IEnumerable<ContainerRecord> InPod(string podId)
    {
        // Ordered answers the same array until the store changes, so the index is current when built from it.
        var ordered = Ordered;
        var index = Volatile.Read(ref _byPod);
        if (index is null || !ReferenceEquals(index.Snapshot, ordered))
            Volatile.Write(ref _byPod, index = new PodIndex(ordered, ordered.ToLookup(c => c.PodId, StringComparer.Ordinal)));
        return index.ByPod[podId];
    }
}
