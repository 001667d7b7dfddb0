using System.Collections.Concurrent;
using System.Threading.Channels;

namespace CriShim.Stats;

/// <summary>
/// cAdvisor-style housekeeping for the List stats RPCs: the last sample of each container (or pod) is kept, and a
/// List call answers from it instead of reading a dozen cgroup files and walking a writable layer per container.
/// A sample younger than <c>fresh</c> is answered as it is; one up to <c>maxAge</c> old is answered too, and a
/// fresh one is taken in the background (one at a time, so housekeeping never takes more than one thread from
/// the RPCs); an older one, or none, is taken by the caller. The sample's own timestamps say when it was taken,
/// so rates computed from them stay right. kubelet polls every 10 s, its own cAdvisor housekeeping interval.
/// </summary>
public sealed class SampleCache<T> : IDisposable where T : class
{
    readonly TimeSpan _fresh;
    readonly TimeSpan _maxAge;
    readonly TimeProvider _time;
    readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, byte> _refreshing = new(StringComparer.Ordinal);
    readonly Channel<(string Key, Func<CancellationToken, Task<T>> Take)> _queue =
        Channel.CreateUnbounded<(string, Func<CancellationToken, Task<T>>)>(new UnboundedChannelOptions { SingleReader = true });
    readonly CancellationTokenSource _stop = new();
    readonly Task _housekeeping;
    long _nextSweepTicks;

    sealed record Entry(T Value, DateTimeOffset TakenAt);

    public SampleCache(TimeSpan fresh, TimeSpan maxAge, TimeProvider? time = null)
    {
        if (fresh <= TimeSpan.Zero || maxAge < fresh) throw new ArgumentOutOfRangeException(nameof(maxAge), "0 < fresh <= maxAge");
        _fresh = fresh;
        _maxAge = maxAge;
        _time = time ?? TimeProvider.System;
        _housekeeping = Task.Run(HousekeepAsync);
    }

    /// <summary>How many keys have a sample (fresh or not yet swept).</summary>
    public int Count => _entries.Count;

    /// <summary>The key's sample per the rules above; <paramref name="take"/> takes a new one.</summary>
    public async ValueTask<T> GetAsync(string key, Func<CancellationToken, Task<T>> take, CancellationToken ct) =>
        TryGet(key, take, out var value) ? value : await TakeAsync(key, take, ct);

    /// <summary>
    /// The key's sample when one younger than maxAge is kept (past fresh, <paramref name="refresh"/> is queued to
    /// take a new one in the background); false when the caller must take one (<see cref="TakeAsync"/>).
    /// </summary>
    public bool TryGet(string key, Func<CancellationToken, Task<T>> refresh, out T value)
    {
        var now = _time.GetUtcNow();
        SweepIfDue(now);
        if (_entries.TryGetValue(key, out var entry))
        {
            var age = now - entry.TakenAt;
            if (age < _maxAge)
            {
                if (age >= _fresh && _refreshing.TryAdd(key, 0) && !_queue.Writer.TryWrite((key, refresh))) _refreshing.TryRemove(key, out _);
                value = entry.Value;
                return true;
            }
        }
        value = null!;
        return false;
    }

    /// <summary>Takes a sample now and keeps it (unless a newer one was kept meanwhile).</summary>
    public async Task<T> TakeAsync(string key, Func<CancellationToken, Task<T>> take, CancellationToken ct)
    {
        var takenAt = _time.GetUtcNow();
        var value = await take(ct);
        Store(key, new Entry(value, takenAt), addIfMissing: true);
        return value;
    }

    /// <summary>Drops the key's sample (the container or pod is gone); a refresh under way does not bring it back.</summary>
    public void Forget(string key) => _entries.TryRemove(key, out _);

    /// <summary>Stores a sample unless a newer one is there already.</summary>
    void Store(string key, Entry next, bool addIfMissing)
    {
        while (true)
        {
            if (!_entries.TryGetValue(key, out var current))
            {
                if (!addIfMissing || _entries.TryAdd(key, next)) return;
            }
            else if (current.TakenAt >= next.TakenAt || _entries.TryUpdate(key, next, current)) return;
        }
    }

    async Task HousekeepAsync()
    {
        try
        {
            await foreach (var (key, take) in _queue.Reader.ReadAllAsync(_stop.Token))
            {
                try
                {
                    // Only for a key still kept: one forgotten meanwhile stays forgotten.
                    if (_entries.ContainsKey(key))
                    {
                        var takenAt = _time.GetUtcNow();
                        Store(key, new Entry(await take(_stop.Token), takenAt), addIfMissing: false);
                    }
                }
                catch (Exception) when (!_stop.IsCancellationRequested)
                {
                    // The sample stays as it was; the next caller past maxAge takes one itself and sees the error.
                }
                finally { _refreshing.TryRemove(key, out _); }
                await Task.Yield(); // behind the RPCs queued meanwhile
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }

    /// <summary>Samples past maxAge are never answered: dropped once per maxAge, so keys nobody asks for go.</summary>
    void SweepIfDue(DateTimeOffset now)
    {
        var next = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref _nextSweepTicks, (now + _maxAge).UtcTicks, next) != next) return;
        foreach (var (key, entry) in _entries)
            if (now - entry.TakenAt >= _maxAge) _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _stop.Cancel();
        try { _housekeeping.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }
        _stop.Dispose();
    }
}
