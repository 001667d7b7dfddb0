using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Integration.Cgroups;

[NonParallelizable]
public class CgroupUpdaterIntegrationTests
{
    [Test]
    public async Task Limits_set_live_read_back_from_the_kernel()
    {
        await using var cgroup = TestCgroup.Create();
        cgroup.Start("sleep 600");
        var updater = new CgroupUpdater(cgroup.Layout);

        var result = updater.Apply(cgroup.CgroupsPath, new CgroupResources
        {
            MemoryLimitBytes = 256 << 20,
            PidsLimit = 50,
            CpuShares = 512,
            CpuQuota = 50_000,
            CpuPeriod = 100_000,
            CpusetCpus = "0",
            CpusetMems = "0",
        });
        var stats = new CgroupStatsReader(cgroup.Layout).Read(cgroup.CgroupsPath)!;

        Assert.That(stats.MemoryLimitBytes, Is.EqualTo(256UL << 20));
        Assert.That(stats.PidsLimit, Is.EqualTo(50UL));
        if (cgroup.Layout.Mode == CgroupMode.V2)
        {
            Assert.That(ReadFile(cgroup.Paths.Unified!, "cpu.max"), Is.EqualTo("50000 100000"));
            Assert.That(ReadFile(cgroup.Paths.Unified!, "cpu.weight"), Is.EqualTo("20"));
        }
        else
        {
            Assert.That(result.Skipped, Is.Empty);
            Assert.That(ReadFile(cgroup.Paths.For("cpuset")!, "cpuset.cpus"), Is.EqualTo("0"));
            Assert.That(ReadFile(cgroup.Paths.For("memory")!, "memory.limit_in_bytes"), Is.EqualTo((256 << 20).ToString()));
            Assert.That(ReadFile(cgroup.Paths.For("cpu")!, "cpu.shares"), Is.EqualTo("512"));
            Assert.That(ReadFile(cgroup.Paths.For("cpu")!, "cpu.cfs_quota_us"), Is.EqualTo("50000"));
        }
    }

    [Test]
    public async Task Memory_and_swap_limits_can_be_raised_and_lowered_again_in_either_direction()
    {
        await using var cgroup = TestCgroup.Create();
        var updater = new CgroupUpdater(cgroup.Layout);
        var reader = new CgroupStatsReader(cgroup.Layout);

        updater.Apply(cgroup.CgroupsPath, new CgroupResources { MemoryLimitBytes = 64 << 20, MemorySwapLimitBytes = 64 << 20 });
        updater.Apply(cgroup.CgroupsPath, new CgroupResources { MemoryLimitBytes = 512 << 20, MemorySwapLimitBytes = 512 << 20 });
        Assert.That(reader.Read(cgroup.CgroupsPath)!.MemoryLimitBytes, Is.EqualTo(512UL << 20));

        updater.Apply(cgroup.CgroupsPath, new CgroupResources { MemoryLimitBytes = 32 << 20, MemorySwapLimitBytes = 32 << 20 });
        Assert.That(reader.Read(cgroup.CgroupsPath)!.MemoryLimitBytes, Is.EqualTo(32UL << 20));

        updater.Apply(cgroup.CgroupsPath, new CgroupResources { MemoryLimitBytes = 128 << 20 });
        Assert.That(reader.Read(cgroup.CgroupsPath)!.MemoryLimitBytes, Is.EqualTo(128UL << 20), "memory alone, above the old memsw");

        updater.Apply(cgroup.CgroupsPath, new CgroupResources { MemoryLimitBytes = -1 });
        Assert.That(reader.Read(cgroup.CgroupsPath)!.MemoryLimitBytes, Is.Null, "-1 lifts the limit");
    }

    [Test]
    public async Task A_value_the_kernel_rejects_surfaces_as_a_cgroup_error()
    {
        await using var cgroup = TestCgroup.Create();

        var error = Assert.Throws<CgroupException>(() => new CgroupUpdater(cgroup.Layout)
            .Apply(cgroup.CgroupsPath, new CgroupResources { CpuPeriod = 1 }));

        Assert.That(error!.Message, Does.Contain("cpu"));
    }

    private static string ReadFile(string dir, string file) => File.ReadAllText(Path.Combine(dir, file)).Trim();
}
