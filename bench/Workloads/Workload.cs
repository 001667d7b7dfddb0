using System.Diagnostics;
using CriShim.Bench.Reporting;
using CriShim.Bench.Runtimes;
using Grpc.Core;

namespace CriShim.Bench.Workloads;

/// <summary>One kind of load, run against every runtime in turn (A, B, A, B...) so machine noise hits both alike.</summary>
abstract class Workload
{
    public abstract string Title { get; }

    /// <summary>Progress units the workload reports through <see cref="WorkloadContext.Advance"/>.</summary>
    public abstract int Steps(BenchSettings settings, int runtimes);

    public abstract Task RunAsync(WorkloadContext ctx);
}

sealed class WorkloadContext(IReadOnlyList<RuntimeUnderTest> runtimes, BenchSettings settings, Measurements measurements, Action<string> advance, CancellationToken ct)
{
    readonly HashSet<string> _failed = [];

    public IReadOnlyList<RuntimeUnderTest> Runtimes => runtimes;
    public BenchSettings Settings => settings;
    public Measurements Measurements => measurements;
    public CancellationToken Ct => ct;

    public void Advance(string what) => advance(what);

    /// <summary>Runtimes in the order of round <paramref name="round"/>: who goes first alternates.</summary>
    public IEnumerable<RuntimeUnderTest> InTurn(int round) =>
        (round % 2 == 0 ? runtimes : runtimes.Reverse()).Where(r => !_failed.Contains(r.Key));

    /// <summary>
    /// Runs one step on one runtime; a failure stops that runtime for the rest of this workload (the other goes
    /// on) and is noted in the report.
    /// </summary>
    public async Task StepAsync(RuntimeUnderTest rt, string title, Func<Task> step)
    {
        if (_failed.Contains(rt.Key)) return;
        try { await step(); }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            _failed.Add(rt.Key);
            var detail = e is RpcException r ? $"{r.StatusCode}: {r.Status.Detail}" : e.Message;
            measurements.Note($"{title}: {rt.Name} failed, skipped for the rest of this workload ({detail})");
        }
    }

    public void Record(RuntimeUnderTest rt, string metric, double value) => measurements.Add(rt.Key, metric, value);

    /// <summary>Times an awaited call in milliseconds and records it.</summary>
    public async Task<T> TimeAsync<T>(RuntimeUnderTest rt, string metric, Func<Task<T>> call)
    {
        var sw = Stopwatch.StartNew();
        var result = await call();
        Record(rt, metric, sw.Elapsed.TotalMilliseconds);
        return result;
    }
}
