using System.Diagnostics;
using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Integration.Cgroups;

[NonParallelizable]
public class StatsCollectorIntegrationTests
{
    [Test]
    public async Task Container_usage_combines_cgroup_figures_a_cpu_rate_from_the_second_call_and_the_writable_layer()
    {
        await using var cgroup = TestCgroup.Create();
        var layer = Directory.CreateTempSubdirectory("crishim-upper-");
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(layer.FullName, "data"), new byte[128 * 1024]);
            cgroup.Start("while :; do :; done");
            var collector = StatsCollector.Create(cgroup.Layout);

            var first = await collector.ReadContainerAsync("c1", cgroup.CgroupsPath, layer.FullName);
            await Poll.Until(() => new CgroupStatsReader(cgroup.Layout).Read(cgroup.CgroupsPath)!,
                s => s.CpuUsageCoreNanoSeconds > first!.Cgroup.CpuUsageCoreNanoSeconds + 50_000_000);
            var second = await collector.ReadContainerAsync("c1", cgroup.CgroupsPath, layer.FullName);

            Assert.That(first!.UsageNanoCores, Is.Null, "no rate without a previous sample");
            Assert.That(second!.UsageNanoCores, Is.GreaterThan(0UL));
            Assert.That(second.WritableLayer!.InodesUsed, Is.EqualTo(2UL));
            Assert.That(second.WritableLayer.UsedBytes, Is.GreaterThanOrEqualTo(128UL * 1024));
        }
        finally
        {
            layer.Delete(recursive: true);
        }
    }

    [Test]
    public async Task A_removed_container_has_no_usage_and_a_host_network_pod_has_no_network()
    {
        await using var pod = TestCgroup.Create();
        var collector = StatsCollector.Create(pod.Layout);

        var container = await collector.ReadContainerAsync("gone", pod.CgroupsPath + "/gone", null);
        var podUsage = await collector.ReadPodAsync("p1", pod.CgroupsPath, netnsPath: null);

        Assert.That(container, Is.Null);
        Assert.That(podUsage.Cgroup, Is.Not.Null);
        Assert.That(podUsage.Network, Is.Null);
    }
}
