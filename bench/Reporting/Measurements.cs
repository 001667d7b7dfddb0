using System.Collections.Concurrent;

namespace CriShim.Bench.Reporting;

/// <summary>Everything one run measured, by runtime key and metric name, plus the problems it ran into.</summary>
sealed class Measurements
{
    readonly ConcurrentDictionary<(string Runtime, string Metric), Samples> _samples = new();
    readonly ConcurrentQueue<string> _notes = new();

    public void Add(string runtime, string metric, double value) =>
        _samples.GetOrAdd((runtime, metric), _ => new Samples()).Add(value);

    public Samples? Get(string runtime, string metric) => _samples.GetValueOrDefault((runtime, metric));

    /// <summary>The p-th percentile, or null when the metric was not measured for that runtime.</summary>
    public double? P(string runtime, string metric, double p) =>
        Get(runtime, metric) is { Count: > 0 } s ? s.Percentile(p) : null;

    public void Note(string text) => _notes.Enqueue(text);

    public IReadOnlyCollection<string> Notes => _notes;

    public IEnumerable<KeyValuePair<(string Runtime, string Metric), Samples>> All => _samples;

    /// <summary>Reads back the "runtime/metric": [samples] map that a run writes as latest.json.</summary>
    public static Measurements FromJson(string json)
    {
        var m = new Measurements();
        foreach (var (key, values) in System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double[]>>(json)!)
        {
            var slash = key.IndexOf('/');
            foreach (var v in values) m.Add(key[..slash], key[(slash + 1)..], v);
        }
        return m;
    }
}
