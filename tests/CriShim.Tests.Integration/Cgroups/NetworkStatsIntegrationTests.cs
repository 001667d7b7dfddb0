using System.Diagnostics;
using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Integration.Cgroups;

[NonParallelizable]
public class NetworkStatsIntegrationTests
{
    private string _name = null!;
    private string NetnsPath => $"/run/netns/{_name}";

    [SetUp]
    public void CreateNamespace()
    {
        TestCgroup.RequireRoot();
        _name = "crishim-test-" + Guid.NewGuid().ToString("N")[..8];
        Run("ip", "netns", "add", _name);
        Run("ip", "netns", "exec", _name, "ip", "link", "set", "lo", "up");
        Run("ip", "netns", "exec", _name, "busybox", "ping", "-c", "3", "-W", "1", "127.0.0.1");
    }

    [TearDown]
    public void DeleteNamespace()
    {
        if (File.Exists(NetnsPath))
            Run("ip", "netns", "delete", _name);
    }

    [Test]
    public async Task Stats_are_read_inside_the_pinned_namespace_and_the_daemon_stays_in_its_own()
    {
        var hostNamespace = NamespaceOfThisProcess();

        var stats = await new NetworkStatsReader().ReadNetworkStatsAsync(NetnsPath);

        Assert.That(stats, Is.Not.Null);
        Assert.That(stats!.Interfaces.Select(i => i.Name), Is.EqualTo(new[] { "lo" }), "only the namespace's own loopback");
        Assert.That(stats.Get("lo")!.RxBytes, Is.GreaterThan(0UL));
        Assert.That(stats.Get("lo")!.TxPackets, Is.GreaterThanOrEqualTo(6UL), "3 pings and 3 replies over loopback");
        Assert.That(NamespaceOfThisProcess(), Is.EqualTo(hostNamespace));
    }

    [Test]
    public void Stats_of_a_process_living_in_the_namespace_match_the_namespace()
    {
        using var sleeper = Process.Start("ip", ["netns", "exec", _name, "busybox", "sleep", "60"]);
        try
        {
            // `ip netns exec` enters the namespace and execs, so the pid ends up in it.
            var reader = new NetworkStatsReader();
            var stats = reader.ReadNetworkStats(sleeper.Id);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (stats?.Interfaces.Count != 1 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
                stats = reader.ReadNetworkStats(sleeper.Id);
            }

            Assert.That(stats!.Interfaces.Select(i => i.Name), Is.EqualTo(new[] { "lo" }));
            Assert.That(stats.Get("lo")!.RxBytes, Is.EqualTo(reader.ReadNetworkStats(NetnsPath)!.Get("lo")!.RxBytes));
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Test]
    public async Task A_missing_namespace_file_or_a_gone_process_reads_as_not_found()
    {
        var reader = new NetworkStatsReader();

        Assert.That(await reader.ReadNetworkStatsAsync($"/run/netns/crishim-missing-{Guid.NewGuid():N}"), Is.Null);
        Assert.That(reader.ReadNetworkStats(int.MaxValue), Is.Null);
    }

    [Test]
    public async Task A_plain_file_that_is_not_a_namespace_reads_as_not_found()
    {
        var file = Path.Combine(Path.GetTempPath(), "crishim-not-netns-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(file, "");
        try
        {
            Assert.That(await new NetworkStatsReader().ReadNetworkStatsAsync(file), Is.Null);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string NamespaceOfThisProcess() =>
        string.Join(",", Directory.GetDirectories("/proc/self/task").Select(t =>
        {
            try
            {
                return new FileInfo(Path.Combine(t, "ns", "net")).LinkTarget;
            }
            catch (IOException)
            {
                return null; // a thread that just ended
            }
        }).OfType<string>().Distinct());

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(file, args);
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"{file} {string.Join(' ', args)}");
    }
}
