namespace CriShim.Stores;

// The per-object operation locks every lifecycle call takes (as containerd's Starting/Removing flags and CRI-O's
// opLock) live with the records they guard: a pod call holds its pod exclusively (PodStore.LockAsync); a container
// call holds its pod shared, then the container exclusively (ContainerStore.LockAsync). So two calls on one container
// never interleave, and a pod is never stopped or removed while a container of it is being created, started or
// removed. The order is fixed (pod before container): no deadlock. A pod call already excludes every container call
// of that pod, so it drives them without their locks.

/// <summary>Pod sandboxes under ROOT/pods, with their reserved names and operation locks.</summary>
public sealed class PodStore(string dir, ILogger<PodStore> log) : RecordStore<PodRecord>(dir, JsonOptions.Compact, log, p => _ = p.ParsedConfig)
{
    public NameRegistry Names { get; } = new();

    /// <summary>One lock per pod ID: held exclusively by pod calls, shared by the calls on its containers.</summary>
    public KeyedLock Locks { get; } = new();

    /// <summary>Holds the pod exclusively (no other pod call, no call on any of its containers) until disposed.</summary>
    public Task<IDisposable> LockAsync(string podId, CancellationToken ct) => Locks.LockAsync(podId, ct);
}

/// <summary>Containers under ROOT/containers, with their reserved names and operation locks.</summary>
public sealed class ContainerStore(string dir, PodStore pods, ILogger<ContainerStore> log) : RecordStore<ContainerRecord>(dir, JsonOptions.Compact, log, c => _ = c.ParsedConfig)
{
    public NameRegistry Names { get; } = new();

    /// <summary>One lock per container ID, taken after its pod's (shared).</summary>
    public KeyedLock Locks { get; } = new();

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

    /// <summary>Holds the container's pod shared, then the container exclusively, until disposed.</summary>
    public Task<IDisposable> LockAsync(ContainerRecord c, CancellationToken ct) => LockAsync(c.PodId, c.Id, ct);

    /// <summary>As <see cref="LockAsync(ContainerRecord, CancellationToken)"/>, for a container not yet saved (its create).</summary>
    public async Task<IDisposable> LockAsync(string podId, string containerId, CancellationToken ct)
    {
        var pod = await pods.Locks.LockSharedAsync(podId, ct);
        try { return new Both(await Locks.LockAsync(containerId, ct), pod); }
        catch
        {
            pod.Dispose();
            throw;
        }
    }

    sealed class Both(IDisposable inner, IDisposable outer) : IDisposable
    {
        public void Dispose()
        {
            inner.Dispose();
            outer.Dispose();
        }
    }
}
