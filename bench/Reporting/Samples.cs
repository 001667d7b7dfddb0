namespace CriShim.Bench.Reporting;

/// <summary>Observations of one metric on one runtime.</summary>
sealed class Samples
{
    readonly List<double> _values = [];
    readonly Lock _lock = new();

    public void Add(double value) { lock (_lock) _values.Add(value); }

    public int Count { get { lock (_lock) return _values.Count; } }

    public IReadOnlyList<double> Values { get { lock (_lock) return [.. _values]; } }

    /// <summary>Percentile by linear interpolation between closest ranks (p in 0..100).</summary>
    public double Percentile(double p)
    {
        double[] sorted;
        lock (_lock) sorted = [.. _values.Order()];
        if (sorted.Length == 0) return double.NaN;
        var rank = p / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    public double Median => Percentile(50);
}
