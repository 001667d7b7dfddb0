using System.Collections.Concurrent;
using System.Text.Json;

namespace CriShim.Stores;

public interface IRecord
{
    string Id { get; }
    DateTimeOffset CreatedAt { get; }
}

/// <summary>
/// An in-memory index of records, each also persisted as its own JSON file (atomic replace), so the index
/// can be rebuilt after a crash. Lookups accept a unique ID prefix, as crictl users type short IDs.
/// </summary>
public class RecordStore<T> where T : class, IRecord
{
    readonly ConcurrentDictionary<string, T> _records = new();
    readonly string _dir;
    readonly JsonSerializerOptions _json;
    readonly SemaphoreSlim _writeLock = new(1, 1);
    long _version;
    Snapshot? _ordered;

    /// <summary>The records in creation order as of one version of the store.</summary>
    sealed record Snapshot(long Version, T[] Records);

    /// <param name="validate">Throws for a record that parses but cannot be used (e.g. its stored CRI config is not
    /// valid protobuf): it is set aside at load like unreadable JSON, instead of failing every later List.</param>
    public RecordStore(string dir, JsonSerializerOptions json, ILogger log, Action<T>? validate = null)
    {
        _dir = dir;
        _json = json;
        Directory.CreateDirectory(dir);
        foreach (var (path, record) in AtomicFile.ReadAll(dir, json, (p, e) => log.LogError(e, "unreadable record set aside as {Path}; its leftovers are swept", p), validate))
            _records[record.Id] = record;
    }

    public IReadOnlyCollection<T> All => (IReadOnlyCollection<T>)_records.Values;

    /// <summary>
    /// Every record, oldest first (ID breaks ties), as List answers: sorted once per change of the store instead of
    /// once per call. The version is read before the records, so a snapshot never misses a change of its version;
    /// one built while a change lands merely carries an older version and is rebuilt by the next reader.
    /// </summary>
    public IReadOnlyList<T> Ordered
    {
        get
        {
            var version = Interlocked.Read(ref _version);
            if (Volatile.Read(ref _ordered) is { } current && current.Version == version) return current.Records;
            var records = _records.Values.ToArray();
            Array.Sort(records, static (a, b) => a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : string.CompareOrdinal(a.Id, b.Id));
            Volatile.Write(ref _ordered, new Snapshot(version, records));
            return records;
        }
    }

    /// <summary>After every change of <see cref="_records"/>: the ordered snapshot is stale.</summary>
    void Changed() => Interlocked.Increment(ref _version);

    public T? Get(string id) => _records.GetValueOrDefault(id);

    /// <summary>Exact ID, else the single record whose ID starts with the given prefix.</summary>
    public T? Find(string idOrPrefix)
    {
        if (string.IsNullOrEmpty(idOrPrefix)) return null;
        if (_records.TryGetValue(idOrPrefix, out var exact)) return exact;
        T? match = null;
        foreach (var (id, record) in _records)
        {
            if (!id.StartsWith(idOrPrefix, StringComparison.Ordinal)) continue;
            if (match is not null) return null; // ambiguous prefix
            match = record;
        }
        return match;
    }

    public async Task SaveAsync(T record, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await AtomicFile.WriteJsonAsync(PathOf(record.Id), record, _json, CancellationToken.None);
            _records[record.Id] = record;
            Changed();
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>Applies a transition to the current record and persists it; returns the new record (null if gone).</summary>
    public async Task<T?> UpdateAsync(string id, Func<T, T> change, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            if (!_records.TryGetValue(id, out var current)) return null;
            var next = change(current);
            if (ReferenceEquals(next, current)) return current;
            await AtomicFile.WriteJsonAsync(PathOf(id), next, _json, CancellationToken.None);
            _records[id] = next;
            Changed();
            return next;
        }
        finally { _writeLock.Release(); }
    }

    public async Task DeleteAsync(string id)
    {
        await _writeLock.WaitAsync();
        try
        {
            AtomicFile.Delete(PathOf(id));
            _records.TryRemove(id, out _);
            Changed();
        }
        finally { _writeLock.Release(); }
    }

    string PathOf(string id) => Path.Combine(_dir, id + ".json");
}
