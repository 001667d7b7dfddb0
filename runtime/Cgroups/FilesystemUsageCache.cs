using System.Collections.Concurrent;

namespace CriShim.Oci.Cgroups;

/// <summary>
/// Caches <see cref="FilesystemUsageCalculator"/> results per directory for a short time, because the kubelet
/// asks for stats of every container often and a walk of a big writable layer is not free. Concurrent callers
/// for the same directory share one walk.
/// </summary>
public sealed class FilesystemUsageCache(TimeSpan? maxAge = null, TimeProvider? timeProvider = null)
{
    private readonly TimeSpan _maxAge = maxAge ?? TimeSpan.FromSeconds(2);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    // Lazy: AddOrUpdate may build entries it then discards; only the stored one starts a walk.
    private sealed record Entry(Lazy<Task<FilesystemUsage?>> Lazy, DateTimeOffset StartedAt)
    {
        public Task<FilesystemUsage?> Walk => Lazy.Value;
    }

    /// <summary>Usage of <paramref name="directory"/>, at most maxAge old; null when the directory does not exist.</summary>
    public async Task<FilesystemUsage?> GetAsync(string directory, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var entry = _entries.AddOrUpdate(directory,
            key => Start(key, now),
            (key, existing) => IsFresh(existing, now) ? existing : Start(key, now));
        try
        {
            return await entry.Walk.WaitAsync(cancellationToken);
        }
        catch (Exception) when (entry.Walk.IsFaulted)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(directory, entry));
            throw;
        }
    }

    /// <summary>Drops the cached value, e.g. when the container is removed.</summary>
    public void Invalidate(string directory) => _entries.TryRemove(directory, out _);

    private bool IsFresh(Entry entry, DateTimeOffset now) =>
        !entry.Lazy.IsValueCreated || !entry.Walk.IsCompleted || (entry.Walk.IsCompletedSuccessfully && now - entry.StartedAt < _maxAge);

    // The walk is shared, so it is not tied to any one caller's cancellation.
    private Entry Start(string directory, DateTimeOffset now) =>
        new(new Lazy<Task<FilesystemUsage?>>(() => Task.Run(() => FilesystemUsageCalculator.Measure(directory, _time))), now);
}
