using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Unit.Cgroups;

public class CgroupStatsReaderTests
{
    private const string Pod = "/kubepods/pod1/ctr";

    [Test]
    public void V1_stats_come_from_cpuacct_memory_and_pids_with_working_set_minus_inactive_file()
    {
        using var fs = FakeCgroupFs.Hybrid();
        fs.Write("cpuacct", Pod, "cpuacct.usage", "123456789\n");
        fs.Write("cpuacct", Pod, "cpuacct.usage_user", "100000000\n");
        fs.Write("cpuacct", Pod, "cpuacct.usage_sys", "23456789\n");
        fs.Write("memory", Pod, "memory.usage_in_bytes", "10000000\n");
        fs.Write("memory", Pod, "memory.limit_in_bytes", "16777216\n");
        fs.Write("memory", Pod, "memory.stat", "rss 1\ntotal_rss 4000000\ntotal_inactive_file 3000000\ntotal_pgfault 77\ntotal_pgmajfault 2\n");
        fs.Write("memory", Pod, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        fs.Write("pids", Pod, "pids.current", "4\n");
        fs.Write("pids", Pod, "pids.max", "max\n");
        fs.Write("memory", Pod, "memory.memsw.usage_in_bytes", "10500000\n");
        fs.Write("memory", Pod, "memory.memsw.limit_in_bytes", "33554432\n");
        fs.Write("unified", Pod, "cpu.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=42\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n");

        var stats = new CgroupStatsReader(fs.Layout).Read(Pod);

        Assert.That(stats, Is.Not.Null);
        Assert.That(stats!.CpuUsageCoreNanoSeconds, Is.EqualTo(123456789UL));
        Assert.That(stats.CpuUserNanoSeconds, Is.EqualTo(100000000UL));
        Assert.That(stats.MemoryUsageBytes, Is.EqualTo(10000000UL));
        Assert.That(stats.MemoryWorkingSetBytes, Is.EqualTo(7000000UL));
        Assert.That(stats.MemoryRssBytes, Is.EqualTo(4000000UL));
        Assert.That(stats.MemoryPageFaults, Is.EqualTo(77UL));
        Assert.That(stats.MemoryMajorPageFaults, Is.EqualTo(2UL));
        Assert.That(stats.MemoryLimitBytes, Is.EqualTo(16777216UL));
        Assert.That(stats.MemoryAvailableBytes, Is.EqualTo(16777216UL - 7000000UL));
        Assert.That(stats.OomKillCount, Is.EqualTo(3UL));
        Assert.That(stats.PidsCurrent, Is.EqualTo(4UL));
        Assert.That(stats.PidsLimit, Is.Null, "max means unlimited");
        Assert.That(stats.SwapUsageBytes, Is.EqualTo(500000UL), "memsw usage minus memory usage");
        Assert.That(stats.SwapLimitBytes, Is.EqualTo(16777216UL));
        Assert.That(stats.SwapAvailableBytes, Is.EqualTo(16777216UL - 500000UL));
        Assert.That(stats.CpuPressure?.Some?.TotalNanoSeconds, Is.EqualTo(42_000UL), "PSI comes from the unified side of a hybrid host");
        Assert.That(stats.MemoryPressure, Is.Null);
        Assert.That(stats.CpuSample?.UsageCoreNanoSeconds, Is.EqualTo(123456789UL));
    }

    [Test]
    public void A_control_file_larger_than_one_read_buffer_is_read_to_its_end()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var padding = string.Concat(Enumerable.Range(0, 600).Select(i => $"padding_key_{i} {i}\n"));
        Assert.That(padding.Length, Is.GreaterThan(2 * 4096));
        fs.Write("memory", Pod, "memory.usage_in_bytes", "10000000\n");
        fs.Write("memory", Pod, "memory.stat", padding + "total_rss 4000000\ntotal_inactive_file 3000000\n");

        var stats = new CgroupStatsReader(fs.Layout).Read(Pod);

        Assert.That(stats!.MemoryRssBytes, Is.EqualTo(4000000UL));
        Assert.That(stats.MemoryWorkingSetBytes, Is.EqualTo(7000000UL));
    }

    [Test]
    public void V1_unlimited_memory_has_no_limit_and_no_available_bytes()
    {
        using var fs = FakeCgroupFs.Hybrid();
        fs.Write("memory", Pod, "memory.usage_in_bytes", "1000\n");
        fs.Write("memory", Pod, "memory.limit_in_bytes", "9223372036854771712\n");

        var stats = new CgroupStatsReader(fs.Layout).Read(Pod)!;

        Assert.That(stats.MemoryLimitBytes, Is.Null);
        Assert.That(stats.MemoryAvailableBytes, Is.Null);
        Assert.That(stats.MemoryWorkingSetBytes, Is.EqualTo(1000UL));
    }

    [Test]
    public void Hybrid_without_cpuacct_falls_back_to_the_unified_cpu_stat()
    {
        using var fs = FakeCgroupFs.Hybrid();
        fs.Write("unified", Pod, "cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");

        var stats = new CgroupStatsReader(fs.Layout).Read(Pod)!;

        Assert.That(stats.CpuUsageCoreNanoSeconds, Is.EqualTo(2_500_000UL));
        Assert.That(stats.MemoryUsageBytes, Is.Null, "no memory cgroup, no memory figures");
    }

    [Test]
    public void V2_stats_come_from_cpu_stat_memory_current_and_memory_events()
    {
        using var fs = FakeCgroupFs.V2();
        fs.Write("unified", Pod, "cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 0\n");
        fs.Write("unified", Pod, "memory.current", "5000000\n");
        fs.Write("unified", Pod, "memory.max", "max\n");
        fs.Write("unified", Pod, "memory.stat", "anon 3000000\nfile 2000000\ninactive_file 1500000\npgfault 10\npgmajfault 1\n");
        fs.Write("unified", Pod, "memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n");
        fs.Write("unified", Pod, "pids.current", "2\n");
        fs.Write("unified", Pod, "pids.max", "100\n");
        fs.Write("unified", Pod, "memory.swap.current", "4096\n");
        fs.Write("unified", Pod, "memory.swap.max", "max\n");
        fs.Write("unified", Pod, "memory.pressure", "some avg10=2.00 avg60=1.00 avg300=0.50 total=900\nfull avg10=1.00 avg60=0.50 avg300=0.25 total=300\n");

        var reader = new CgroupStatsReader(fs.Layout);
        var stats = reader.Read(Pod)!;

        Assert.That(stats.CpuUsageCoreNanoSeconds, Is.EqualTo(2_500_000UL));
        Assert.That(stats.CpuSystemNanoSeconds, Is.EqualTo(500_000UL));
        Assert.That(stats.MemoryWorkingSetBytes, Is.EqualTo(3_500_000UL));
        Assert.That(stats.MemoryRssBytes, Is.EqualTo(3_000_000UL));
        Assert.That(stats.MemoryLimitBytes, Is.Null);
        Assert.That(stats.OomKillCount, Is.EqualTo(1UL));
        Assert.That(reader.ReadOomKillCount(Pod), Is.EqualTo(1UL));
        Assert.That(stats.PidsLimit, Is.EqualTo(100UL));
        Assert.That(stats.SwapUsageBytes, Is.EqualTo(4096UL));
        Assert.That(stats.SwapAvailableBytes, Is.Null, "unlimited swap");
        Assert.That(stats.MemoryPressure?.Full?.Avg10, Is.EqualTo(1.0));
    }

    [Test]
    public void A_cgroup_that_exists_nowhere_reads_as_not_found()
    {
        using var fs = FakeCgroupFs.Hybrid();
        var reader = new CgroupStatsReader(fs.Layout);

        Assert.That(reader.Read("/kubepods/gone"), Is.Null);
        Assert.That(reader.ReadOomKillCount("/kubepods/gone"), Is.Null);
    }

    [Test]
    public void Missing_and_garbled_files_read_as_null_fields_instead_of_failing()
    {
        using var fs = FakeCgroupFs.Hybrid();
        fs.Write("memory", Pod, "memory.usage_in_bytes", "not a number\n");

        var stats = new CgroupStatsReader(fs.Layout).Read(Pod)!;

        Assert.That(stats.MemoryUsageBytes, Is.Null);
        Assert.That(stats.CpuUsageCoreNanoSeconds, Is.Null);
        Assert.That(stats.PidsCurrent, Is.Null);
        Assert.That(stats.CpuSample, Is.Null);
        Assert.That(stats.TimestampNanos, Is.GreaterThan(0));
    }
}
