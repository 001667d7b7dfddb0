using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace CriShim.Bench.Micro;

/// <summary>`--micro`: BenchmarkDotNet over the hot paths that decide pod start time, in process (no child build).</summary>
static class MicroBenchmarks
{
    public static int Run(string[] args, string resultsDir)
    {
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithArtifactsPath(Path.Combine(resultsDir, "micro"))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly)
            .Run(args.Length == 0 ? ["--filter", "*"] : args, config).ToList();
        // one committed page with every class's GitHub-flavoured table
        var tables = Directory.Exists(Path.Combine(resultsDir, "micro", "results"))
            ? Directory.GetFiles(Path.Combine(resultsDir, "micro", "results"), "*-report-github.md").Order().Select(File.ReadAllText)
            : [];
        File.WriteAllText(Path.Combine(resultsDir, "micro.md"),
            "# CriShim micro-benchmarks (pod start hot paths)\n\n`make bench BENCH_ARGS=--micro` (BenchmarkDotNet, ShortRun, in process).\n\n" +
            string.Join("\n", tables));
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
