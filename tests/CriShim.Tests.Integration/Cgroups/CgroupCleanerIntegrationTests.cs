using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Integration.Cgroups;

[NonParallelizable]
public class CgroupCleanerIntegrationTests
{
    [Test]
    public async Task Removing_a_pod_cgroup_removes_its_container_children_in_every_hierarchy()
    {
        await using var pod = TestCgroup.Create();
        await using var container = TestCgroup.Create(pod.CgroupsPath);
        var cleaner = new CgroupCleaner(pod.Layout);

        var result = await cleaner.RemoveAsync(pod.CgroupsPath);

        Assert.That(result.Success, Is.True);
        Assert.That(pod.Paths.AllDirectories.Concat(container.Paths.AllDirectories).Where(Directory.Exists), Is.Empty);
        Assert.That(result.Removed, Has.Member(container.Paths.For("memory") ?? container.Paths.Unified));
    }

    [Test]
    public async Task Removing_twice_is_harmless()
    {
        await using var cgroup = TestCgroup.Create();
        var cleaner = new CgroupCleaner(cgroup.Layout);

        await cleaner.RemoveAsync(cgroup.CgroupsPath);
        var again = await cleaner.RemoveAsync(cgroup.CgroupsPath);

        Assert.That(again.Success, Is.True);
        Assert.That(again.Removed, Is.Empty);
    }

    [Test]
    public async Task A_cgroup_with_a_live_process_is_reported_busy_with_its_pid_and_removed_once_killed()
    {
        await using var cgroup = TestCgroup.Create();
        var sleeper = cgroup.Start("sleep 600");
        var reader = new CgroupStatsReader(cgroup.Layout);
        await Poll.Until(() => reader.Read(cgroup.CgroupsPath)!, s => s.PidsCurrent == 1);
        var cleaner = new CgroupCleaner(cgroup.Layout);

        var busy = await cleaner.RemoveAsync(cgroup.CgroupsPath);
        var killed = await cleaner.RemoveAsync(cgroup.CgroupsPath, killProcesses: true);

        Assert.That(busy.Success, Is.False);
        Assert.That(busy.Failures, Has.Some.Matches<CgroupRemoveFailure>(f => f.Reason.StartsWith("EBUSY") && f.Pids.Contains(sleeper.Id)));
        Assert.That(killed.Success, Is.True, () => string.Join("; ", killed.Failures));
        Assert.That(cgroup.Paths.Exists, Is.False);
        Assert.That(sleeper.WaitForExit(10_000), Is.True);
    }

    [Test]
    public void The_root_cgroup_is_never_removed()
    {
        TestCgroup.RequireRoot();
        var cleaner = new CgroupCleaner(CgroupLayout.Detect());

        Assert.ThrowsAsync<ArgumentException>(() => cleaner.RemoveAsync("/"));
    }
}
