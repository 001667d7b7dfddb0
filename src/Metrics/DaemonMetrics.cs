using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace CriShim.Metrics;

/// <summary>
/// The daemon's own Prometheus metrics: CRI calls by method and code with a latency histogram, bytes pulled.
/// Pod and container counts are read from the stores when scraped.
/// </summary>
public sealed class DaemonMetrics
{
    static readonly double[] Buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    sealed class Histogram
    {
        public readonly long[] Counts = new long[Buckets.Length];
        public long Count;
        public double Sum;
    }

    readonly ConcurrentDictionary<(string Method, string Code), long> _calls = new();
    readonly ConcurrentDictionary<string, Histogram> _latency = new();
    long _pulledBytes;

    public void RecordCall(string method, string code, TimeSpan elapsed)
    {
        _calls.AddOrUpdate((method, code), 1, (_, n) => n + 1);
        var h = _latency.GetOrAdd(method, _ => new Histogram());
        var seconds = elapsed.TotalSeconds;
        lock (h)
        {
            h.Count++;
            h.Sum += seconds;
            for (var i = 0; i < Buckets.Length; i++) if (seconds <= Buckets[i]) h.Counts[i]++;
        }
    }

    public void AddPulledBytes(long bytes) => Interlocked.Add(ref _pulledBytes, bytes);

    /// <summary>Text exposition format 0.0.4.</summary>
    public string Render(IReadOnlyDictionary<string, double> gauges)
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine("# HELP crishim_grpc_requests_total CRI calls by method and status code.");
        s.AppendLine("# TYPE crishim_grpc_requests_total counter");
        foreach (var ((method, code), n) in _calls.OrderBy(k => k.Key.Method).ThenBy(k => k.Key.Code))
            s.Append(inv, $"crishim_grpc_requests_total{{method=\"{method}\",code=\"{code}\"}} {n}\n");
        s.AppendLine("# HELP crishim_grpc_request_duration_seconds CRI call latency.");
        s.AppendLine("# TYPE crishim_grpc_request_duration_seconds histogram");
        foreach (var (method, h) in _latency.OrderBy(k => k.Key))
            lock (h)
            {
                for (var i = 0; i < Buckets.Length; i++)
                    s.Append(inv, $"crishim_grpc_request_duration_seconds_bucket{{method=\"{method}\",le=\"{Buckets[i]}\"}} {h.Counts[i]}\n");
                s.Append(inv, $"crishim_grpc_request_duration_seconds_bucket{{method=\"{method}\",le=\"+Inf\"}} {h.Count}\n");
                s.Append(inv, $"crishim_grpc_request_duration_seconds_sum{{method=\"{method}\"}} {h.Sum}\n");
                s.Append(inv, $"crishim_grpc_request_duration_seconds_count{{method=\"{method}\"}} {h.Count}\n");
            }
        s.AppendLine("# HELP crishim_image_pulled_bytes_total Bytes downloaded from registries.");
        s.AppendLine("# TYPE crishim_image_pulled_bytes_total counter");
        s.Append(inv, $"crishim_image_pulled_bytes_total {Interlocked.Read(ref _pulledBytes)}\n");
        foreach (var (name, value) in gauges)
        {
            s.Append(inv, $"# TYPE {name} gauge\n");
            s.Append(inv, $"{name} {value}\n");
        }
        return s.ToString();
    }
}
