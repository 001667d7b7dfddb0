using System.Collections.Concurrent;

namespace CriShim.Stores;

/// <summary>
/// Reserves unique names (pod: name_namespace_uid_attempt; container: name_pod_attempt) so that a
/// duplicate create fails with AlreadyExists naming the holder, as kubelet relies on.
/// </summary>
public sealed class NameRegistry
{
    readonly ConcurrentDictionary<string, string> _owners = new();

    /// <summary>Reserves the name for the id; returns the current holder if another id holds it.</summary>
    public string? Reserve(string name, string id)
    {
        var holder = _owners.GetOrAdd(name, id);
        return holder == id ? null : holder;
    }

    public void Release(string name, string id) => _owners.TryRemove(new KeyValuePair<string, string>(name, id));
}
