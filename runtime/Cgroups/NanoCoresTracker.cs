using System.Collections.Concurrent;

namespace CriShim.Oci.Cgroups;

/// <summary>
/// Remembers the last CPU sample per container or pod so each stats call can report nano cores since the
/// previous one. Thread-safe; call <see cref="Forget"/> when the container or pod is removed.
/// </summary>
public sealed class NanoCoresTracker
{
    private readonly ConcurrentDictionary<string, CpuSample> _last = new(StringComparer.Ordinal);

    /// <summary>Records the sample and returns nano cores since the previous one for this id (null on the first call).</summary>
    public ulong? Update(string id, CpuSample sample)
    {
        ulong? result = null;
        _last.AddOrUpdate(id, sample, (_, previous) =>
        {
            // An older sample arriving late must not replace a newer one.
            if (sample.TimestampNanos <= previous.TimestampNanos)
            {
                result = null;
                return previous;
            }
            result = NanoCoresCalculator.Compute(previous, sample);
            return sample;
        });
        return result;
    }

    public void Forget(string id) => _last.TryRemove(id, out _);
}
