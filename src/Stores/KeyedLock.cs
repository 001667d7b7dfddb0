namespace CriShim.Stores;

/// <summary>
/// One async reader/writer lock per key (a pod or container ID), so lifecycle calls on one object run one at a
/// time while calls on different objects never wait for each other. A key's entry exists only while someone holds
/// or waits for it, so the table never grows with every ID ever seen. Waiters are served in arrival order; a
/// queued exclusive waiter holds back later shared ones, so a RemovePodSandbox is never starved by creates.
/// Not reentrant: take a pod's lock before a container's, and never the same key twice.
/// </summary>
public sealed class KeyedLock
{
    readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Keys currently held or waited for (for tests and metrics).</summary>
    public int ActiveKeys { get { lock (_entries) return _entries.Count; } }

    /// <summary>Waits until no one else holds the key; dispose the result to release it.</summary>
    public Task<IDisposable> LockAsync(string key, CancellationToken ct = default) => AcquireAsync(key, exclusive: true, ct);

    /// <summary>Waits until no exclusive holder has the key; other shared holders may hold it at the same time.</summary>
    public Task<IDisposable> LockSharedAsync(string key, CancellationToken ct = default) => AcquireAsync(key, exclusive: false, ct);

    async Task<IDisposable> AcquireAsync(string key, bool exclusive, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        ct.ThrowIfCancellationRequested();
        Waiter waiter;
        Entry entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry!)) _entries[key] = entry = new Entry();
            entry.Users++;
            if (entry.Queue.Count == 0 && entry.CanEnter(exclusive))
            {
                entry.Enter(exclusive);
                return new Holder(this, key, entry, exclusive);
            }
            waiter = new Waiter(exclusive);
            waiter.Node = entry.Queue.AddLast(waiter);
        }
        await using (ct.Register(() => Abandon(key, entry, waiter)))
            await waiter.Granted.Task;
        return new Holder(this, key, entry, exclusive);
    }

    /// <summary>A cancelled waiter leaves the queue, unless it was granted meanwhile (then the caller owns the lock).</summary>
    void Abandon(string key, Entry entry, Waiter waiter)
    {
        lock (_entries)
        {
            if (waiter.Node?.List is null) return;
            entry.Queue.Remove(waiter.Node);
            Leave(key, entry);
            GrantWaiting(entry); // a cancelled exclusive waiter at the head may have held back shared ones
        }
        waiter.Granted.TrySetCanceled();
    }

    void Release(string key, Entry entry, bool exclusive)
    {
        lock (_entries)
        {
            entry.Exit(exclusive);
            Leave(key, entry);
            GrantWaiting(entry);
        }
    }

    void Leave(string key, Entry entry)
    {
        if (--entry.Users == 0) _entries.Remove(key);
    }

    static void GrantWaiting(Entry entry)
    {
        while (entry.Queue.First is { } first && entry.CanEnter(first.Value.Exclusive))
        {
            entry.Queue.RemoveFirst();
            entry.Enter(first.Value.Exclusive);
            first.Value.Granted.TrySetResult();
            if (first.Value.Exclusive) return;
        }
    }

    sealed class Entry
    {
        public int Users; // holders plus waiters; the entry goes when it reaches 0
        public int Readers;
        public bool Writer;
        public readonly LinkedList<Waiter> Queue = new();

        public bool CanEnter(bool exclusive) => exclusive ? !Writer && Readers == 0 : !Writer;

        public void Enter(bool exclusive)
        {
            if (exclusive) Writer = true;
            else Readers++;
        }

        public void Exit(bool exclusive)
        {
            if (exclusive) Writer = false;
            else Readers--;
        }
    }

    sealed class Waiter(bool exclusive)
    {
        public bool Exclusive { get; } = exclusive;
        public LinkedListNode<Waiter>? Node;
        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    sealed class Holder(KeyedLock owner, string key, Entry entry, bool exclusive) : IDisposable
    {
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) owner.Release(key, entry, exclusive);
        }
    }
}
