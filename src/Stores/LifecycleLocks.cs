namespace CriShim.Stores;

/// <summary>
/// The per-object operation locks every lifecycle call takes (as containerd's Starting/Removing flags and CRI-O's
/// opLock): a pod call holds its pod exclusively; a container call holds its pod shared, then the container
/// exclusively. So two calls on one container never interleave, and a pod is never stopped or removed while a
/// container of it is being created, started or removed. The order is fixed (pod before container): no deadlock.
/// A pod call already excludes every container call of that pod, so it drives them without their locks.
/// </summary>
public sealed class LifecycleLocks
{
    public KeyedLock Pods { get; } = new();
    public KeyedLock Containers { get; } = new();

    public Task<IDisposable> PodAsync(string podId, CancellationToken ct) => Pods.LockAsync(podId, ct);

    public async Task<IDisposable> ContainerAsync(string podId, string containerId, CancellationToken ct)
    {
        var pod = await Pods.LockSharedAsync(podId, ct);
        try { return new Both(await Containers.LockAsync(containerId, ct), pod); }
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
