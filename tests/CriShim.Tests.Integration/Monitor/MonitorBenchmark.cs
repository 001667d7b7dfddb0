using CriShim.Tests.Integration.Runc;
using System.Diagnostics;
using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using CriShim.Tests.Integration.Support;

namespace CriShim.Tests.Integration.Monitor;

/// <summary>Not a test: measures create+start through conmon against bare runc, and conmon's memory.
/// Run with: dotnet test tests/CriShim.Tests.Integration --filter "FullyQualifiedName~MonitorBenchmark"</summary>
[TestFixture, Explicit("benchmark"), NonParallelizable]
public sealed class MonitorBenchmark
{
    [Test]
    public async Task Create_and_start_through_conmon_versus_bare_runc()
    {
        using var dir = new TempDir("crishim-bench-");
        var runc = new RuncClient("runc", Path.Combine(dir.Path, "runc"));
        var monitor = new ContainerMonitor(new MonitorSettings("conmon", Path.Combine(dir.Path, "mon")), runc);
        var viaConmon = new List<double>();
        var bare = new List<double>();
        var rss = new List<long>();
        const int runs = 7;
        for (var i = 0; i < runs; i++)
        {
            var id = $"bc{i}";
            var bundle = TestBundle.Create(dir.Sub(id), id, ["sleep", "100"]);
            var sw = Stopwatch.StartNew();
            await monitor.CreateAsync(new ContainerLaunchSpec(id, id, bundle, Path.Combine(dir.Path, id + ".log")));
            await monitor.StartAsync(id);
            viaConmon.Add(sw.Elapsed.TotalMilliseconds);
            var pid = monitor.MonitorPid(id)!.Value;
            var vmRss = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:"));
            rss.Add(long.Parse(vmRss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
            await monitor.StopAsync(id, TimeSpan.Zero);
            await monitor.DeleteAsync(id);

            var bid = $"bb{i}";
            var bbundle = TestBundle.Create(dir.Sub(bid), bid, ["sleep", "100"]);
            sw.Restart();
            await runc.CreateAsync(bid, bbundle);
            await runc.StartAsync(bid);
            bare.Add(sw.Elapsed.TotalMilliseconds);
            await runc.DeleteAsync(bid, force: true);
        }
        TestBundle.RemoveTestCgroupParents();
        static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        TestContext.Out.WriteLine($"create+start via conmon: median {Median(viaConmon):F1} ms  [{string.Join(", ", viaConmon.Select(x => x.ToString("F0")))}]");
        TestContext.Out.WriteLine($"create+start bare runc:  median {Median(bare):F1} ms  [{string.Join(", ", bare.Select(x => x.ToString("F0")))}]");
        TestContext.Out.WriteLine($"conmon RSS: median {rss.Order().ElementAt(rss.Count / 2)} kB");
        Assert.That(viaConmon, Has.Count.EqualTo(runs));
    }

    /// <summary>Where an ExecSync's time goes: the whole call against its `runc state` part (which a container conmon
    /// still monitors no longer pays).</summary>
    [Test]
    public async Task Exec_sync_latency()
    {
        using var dir = new TempDir("crishim-bench-");
        var runc = new RuncClient("runc", Path.Combine(dir.Path, "runc"));
        var monitor = new ContainerMonitor(new MonitorSettings("conmon", Path.Combine(dir.Path, "mon")), runc);
        var bundle = TestBundle.Create(dir.Sub("ex"), "ex", ["sleep", "1000"]);
        await monitor.CreateAsync(new ContainerLaunchSpec("ex", "ex", bundle, Path.Combine(dir.Path, "ex.log")));
        await monitor.StartAsync("ex");
        var exec = new List<double>();
        var state = new List<double>();
        try
        {
            for (var i = 0; i < 25; i++)
            {
                var sw = Stopwatch.StartNew();
                var r = await monitor.ExecSyncAsync("ex", ["true"], TimeSpan.FromSeconds(30));
                exec.Add(sw.Elapsed.TotalMilliseconds);
                Assert.That(r.ExitCode, Is.Zero);
                sw.Restart();
                await runc.StateAsync("ex");
                state.Add(sw.Elapsed.TotalMilliseconds);
            }
        }
        finally
        {
            await monitor.StopAsync("ex", TimeSpan.Zero);
            await monitor.DeleteAsync("ex");
            TestBundle.RemoveTestCgroupParents();
        }
        static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        TestContext.Out.WriteLine($"ExecSync true: median {Median(exec):F1} ms  [{string.Join(", ", exec.Select(x => x.ToString("F0")))}]");
        TestContext.Out.WriteLine($"runc state:    median {Median(state):F1} ms");
    }
}
