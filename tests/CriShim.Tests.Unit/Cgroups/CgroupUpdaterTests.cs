using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Unit.Cgroups;

public class CgroupUpdaterTests
{
    private const string Pod = "/kubepods/pod1";

    [Test]
    public void V2_update_writes_weight_cpu_max_memory_max_and_pids_max()
    {
        using var fs = FakeCgroupFs.V2();
        foreach (var file in new[] { "cpu.weight", "cpu.max", "memory.max", "pids.max", "cpuset.cpus" })
            fs.Write("unified", Pod, file, file == "cpu.max" ? "max 100000\n" : "\n");

        var result = new CgroupUpdater(fs.Layout).Apply(Pod, new CgroupResources
        {
            CpuShares = 1024, CpuQuota = 50000, CpuPeriod = 100000, CpusetCpus = "0",
            MemoryLimitBytes = 64 << 20, PidsLimit = 0,
        });

        Assert.That(fs.Read("unified", Pod, "cpu.weight"), Is.EqualTo("39"));
        Assert.That(fs.Read("unified", Pod, "cpu.max"), Is.EqualTo("50000 100000"));
        Assert.That(fs.Read("unified", Pod, "memory.max"), Is.EqualTo((64 << 20).ToString()));
        Assert.That(fs.Read("unified", Pod, "pids.max"), Is.EqualTo("max"));
        Assert.That(fs.Read("unified", Pod, "cpuset.cpus"), Is.EqualTo("0"));
        Assert.That(result.Applied.Select(a => a[(a.LastIndexOf('/') + 1)..]), Is.EquivalentTo(new[]
        {
            "cpu.weight=39", "cpu.max=50000 100000", $"memory.max={64 << 20}", "pids.max=max", "cpuset.cpus=0",
        }), "the result reports what was written");
        Assert.That(result.Skipped, Is.Empty);
    }

    [Test]
    public void V1_update_raises_memsw_before_memory_when_growing_and_lowers_it_after_when_shrinking()
    {
        using var fs = FakeCgroupFs.Hybrid();
        fs.Write("memory", Pod, "memory.limit_in_bytes", "1000\n");
        fs.Write("memory", Pod, "memory.memsw.limit_in_bytes", "1000\n");
        var updater = new CgroupUpdater(fs.Layout);

        var grow = updater.Apply(Pod, new CgroupResources { MemoryLimitBytes = 5000, MemorySwapLimitBytes = 5000 });
        var shrink = updater.Apply(Pod, new CgroupResources { MemoryLimitBytes = 2000, MemorySwapLimitBytes = 2000 });

        Assert.That(grow.Applied[0], Does.Contain("memory.memsw.limit_in_bytes=5000"));
        Assert.That(grow.Applied[1], Does.Contain("memory.limit_in_bytes=5000"));
        Assert.That(shrink.Applied[0], Does.Contain("memory.limit_in_bytes=2000"));
        Assert.That(shrink.Applied[1], Does.Contain("memory.memsw.limit_in_bytes=2000"));
        Assert.That(fs.Read("memory", Pod, "memory.limit_in_bytes"), Is.EqualTo("2000"));
    }

    [Test]
    public void V1_raising_only_the_memory_limit_moves_memsw_along_keeping_the_swap_allowance()
    {
        using var fs = FakeCgroupFs.Hybrid();
        fs.Write("memory", Pod, "memory.limit_in_bytes", "1000\n");
        fs.Write("memory", Pod, "memory.memsw.limit_in_bytes", "1500\n");

        var result = new CgroupUpdater(fs.Layout).Apply(Pod, new CgroupResources { MemoryLimitBytes = 5000 });

        Assert.That(result.Applied[0], Does.Contain("memory.memsw.limit_in_bytes=5500"), "memsw first, or the kernel refuses");
        Assert.That(fs.Read("memory", Pod, "memory.limit_in_bytes"), Is.EqualTo("5000"));
    }

    [Test]
    public void V1_update_writes_shares_period_quota_cpuset_and_pids_into_their_hierarchies()
    {
        using var fs = FakeCgroupFs.Hybrid();
        foreach (var file in new[] { "cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us" })
            fs.Write("cpu", Pod, file, "\n");
        fs.Write("cpuset", Pod, "cpuset.mems", "\n");
        fs.Write("pids", Pod, "pids.max", "\n");

        new CgroupUpdater(fs.Layout).Apply(Pod, new CgroupResources
        {
            CpuShares = 512, CpuPeriod = 100000, CpuQuota = -1, CpusetMems = "0", PidsLimit = 42,
        });

        Assert.That(fs.Read("cpu", Pod, "cpu.shares"), Is.EqualTo("512"));
        Assert.That(fs.Read("cpu", Pod, "cpu.cfs_quota_us"), Is.EqualTo("-1"));
        Assert.That(fs.Read("cpuset", Pod, "cpuset.mems"), Is.EqualTo("0"));
        Assert.That(fs.Read("pids", Pod, "pids.max"), Is.EqualTo("42"));
    }

    [Test]
    public void Settings_the_host_cannot_take_are_reported_as_skipped()
    {
        using var fs = FakeCgroupFs.Hybrid();
        fs.Write("memory", Pod, "memory.limit_in_bytes", "1000\n");

        var result = new CgroupUpdater(fs.Layout).Apply(Pod, new CgroupResources
        {
            MemoryLimitBytes = 4096, MemorySwapLimitBytes = 8192, PidsLimit = 10,
            HugepageLimits = new Dictionary<string, ulong> { ["2MB"] = 0 },
        });

        Assert.That(fs.Read("memory", Pod, "memory.limit_in_bytes"), Is.EqualTo("4096"));
        Assert.That(result.Skipped, Has.Some.StartsWith("memory.memsw.limit_in_bytes"));
        Assert.That(result.Skipped, Has.Some.StartsWith("pids.max"));
        Assert.That(result.Skipped, Has.Some.StartsWith("hugetlb.2MB.max"));
    }

    [Test]
    public void Updating_a_cgroup_that_does_not_exist_says_so()
    {
        using var fs = FakeCgroupFs.V2();

        Assert.Throws<CgroupNotFoundException>(() =>
            new CgroupUpdater(fs.Layout).Apply("/nope", new CgroupResources { PidsLimit = 1 }));
    }
}
