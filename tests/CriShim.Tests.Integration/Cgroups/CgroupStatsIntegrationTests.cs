using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Integration.Cgroups;

[NonParallelizable]
public class CgroupStatsIntegrationTests
{
    [Test]
    public void This_host_is_detected_with_a_mount_point_for_cpu_memory_and_pids()
    {
        var layout = CgroupLayout.Detect();

        Assert.That(layout.MountPointOf("cpu"), Is.Not.Null);
        Assert.That(layout.MountPointOf("memory"), Is.Not.Null);
        Assert.That(layout.MountPointOf("pids"), Is.Not.Null);
        if (layout.Mode != CgroupMode.V2)
            Assert.That(Directory.Exists(Path.Combine(layout.MountPointOf("memory")!, "")), Is.True);
    }

    [Test]
    public async Task A_cpu_burning_process_makes_usage_grow_and_yields_positive_nano_cores()
    {
        await using var cgroup = TestCgroup.Create();
        var reader = new CgroupStatsReader(cgroup.Layout);
        cgroup.Start("while :; do :; done");
        var first = await Poll.Until(() => reader.Read(cgroup.CgroupsPath)!, s => s.CpuUsageCoreNanoSeconds > 0);

        var second = await Poll.Until(() => reader.Read(cgroup.CgroupsPath)!,
            s => s.CpuUsageCoreNanoSeconds > first.CpuUsageCoreNanoSeconds + 50_000_000);

        Assert.That(second.CpuUsageCoreNanoSeconds, Is.GreaterThan(first.CpuUsageCoreNanoSeconds!.Value));
        Assert.That(NanoCoresCalculator.Compute(first.CpuSample!.Value, second.CpuSample!.Value), Is.GreaterThan(0UL));
        Assert.That(second.PidsCurrent, Is.EqualTo(1UL));
    }

    [Test]
    public async Task A_process_holding_memory_raises_the_working_set_and_counts_as_a_pid()
    {
        await using var cgroup = TestCgroup.Create();
        var reader = new CgroupStatsReader(cgroup.Layout);
        // Allocates 32 MB only after a line arrives on stdin, then holds it until stdin closes.
        var holder = cgroup.Start("""read go; x=$(head -c 33554432 /dev/zero | tr "\0" a); echo ready; read done; echo ${#x}""", redirectStdin: true);
        var before = await Poll.Until(() => reader.Read(cgroup.CgroupsPath)!, s => s.PidsCurrent == 1);

        await holder.StandardInput.WriteLineAsync("go");
        await holder.StandardInput.FlushAsync();
        Assert.That(await holder.StandardOutput.ReadLineAsync(), Is.EqualTo("ready"));
        var after = reader.Read(cgroup.CgroupsPath)!;

        Assert.That(after.MemoryWorkingSetBytes, Is.GreaterThan(before.MemoryWorkingSetBytes!.Value + 30_000_000));
        Assert.That(after.MemoryRssBytes, Is.GreaterThan(30_000_000UL));
        Assert.That(after.MemoryUsageBytes, Is.GreaterThanOrEqualTo(after.MemoryWorkingSetBytes!.Value));
        Assert.That(after.MemoryPageFaults, Is.GreaterThan(0UL));
        Assert.That(after.PidsCurrent, Is.EqualTo(1UL));
        holder.StandardInput.Close();
    }

    [Test]
    public async Task A_pod_parent_cgroup_reports_the_usage_of_its_container_children()
    {
        await using var pod = TestCgroup.Create();
        await using var container = TestCgroup.Create(pod.CgroupsPath);
        var reader = new CgroupStatsReader(pod.Layout);
        container.Start("sleep 600");

        var podStats = await Poll.Until(() => reader.Read(pod.CgroupsPath)!, s => s.PidsCurrent == 1);

        Assert.That(podStats.PidsCurrent, Is.EqualTo(1UL));
        Assert.That(podStats.MemoryUsageBytes, Is.GreaterThan(0UL));
    }

    [Test]
    public void A_cgroup_that_does_not_exist_reads_as_not_found()
    {
        TestCgroup.RequireRoot();
        var reader = new CgroupStatsReader(CgroupLayout.Detect());

        Assert.That(reader.Read($"/crishim-test-missing-{Guid.NewGuid():N}"), Is.Null);
    }

    [Test]
    public async Task Exceeding_a_tiny_memory_limit_increments_the_oom_kill_counter()
    {
        await using var cgroup = TestCgroup.Create();
        var reader = new CgroupStatsReader(cgroup.Layout);
        new CgroupUpdater(cgroup.Layout).Apply(cgroup.CgroupsPath,
            new CgroupResources { MemoryLimitBytes = 16 << 20, MemorySwapLimitBytes = 16 << 20 });
        if (reader.ReadOomKillCount(cgroup.CgroupsPath) is not { } before)
        {
            Assert.Ignore("this kernel does not count OOM kills per cgroup (oom_kill needs kernel >= 4.13)");
            return;
        }

        // busybox tail keeps the whole newline-free stream in memory, far past the 16 MB limit.
        var hog = cgroup.Start("head -c 200000000 /dev/zero | tail > /dev/null");
        await hog.WaitForExitAsync();

        Assert.That(reader.ReadOomKillCount(cgroup.CgroupsPath), Is.GreaterThan(before));
        Assert.That(reader.Read(cgroup.CgroupsPath)!.OomKillCount, Is.GreaterThan(before));
    }
}
