using System.Diagnostics;
using System.Text.Json.Nodes;
using CriShim.Oci.Cgroups;
using CriShim.Tests.Integration.Support;

namespace CriShim.Tests.Integration.Cgroups;

/// <summary>Checks the layout resolves cgroups exactly where runc (cgroupfs driver) puts a real container.</summary>
[NonParallelizable]
public class RuncContainerCgroupTests
{
    [Test]
    public async Task A_runc_container_under_a_pod_cgroup_is_read_and_the_pod_is_cleaned_up_after_runc_delete()
    {
        await using var pod = TestCgroup.Create();
        var containerPath = pod.CgroupsPath + "/ctr";
        var work = Directory.CreateTempSubdirectory("crishim-runc-cg-").FullName;
        var id = "crishim-cg-" + Guid.NewGuid().ToString("N")[..8];
        var state = Path.Combine(work, "state");
        try
        {
            TestBundle.Create(work, id, ["sleep", "300"], cgroupsPath: containerPath,
                configure: config => config["linux"]!["resources"] = new JsonObject { ["memory"] = new JsonObject { ["limit"] = 64L << 20 } });
            Shell($"runc --root {state} run -d --bundle {work} {id} >/dev/null 2>&1 </dev/null");
            var reader = new CgroupStatsReader(pod.Layout);

            var container = await Poll.Until(() => reader.Read(containerPath), s => s?.PidsCurrent == 1);
            var podStats = reader.Read(pod.CgroupsPath)!;

            Assert.That(pod.Layout.Resolve(containerPath).AllDirectories.All(Directory.Exists), Is.True,
                "runc creates the cgroup in every hierarchy we resolve");
            Assert.That(container!.MemoryLimitBytes, Is.EqualTo(64UL << 20));
            Assert.That(container.CpuUsageCoreNanoSeconds, Is.GreaterThan(0UL), "sleep was started, so it used some CPU");
            Assert.That(container.MemoryWorkingSetBytes, Is.Not.Null.And.LessThanOrEqualTo(64UL << 20), "read, and within the limit");
            Assert.That(reader.ReadOomKillCount(containerPath), Is.EqualTo(0UL));
            Assert.That(podStats.PidsCurrent, Is.EqualTo(1UL), "the pod cgroup counts its containers' tasks");

            Shell($"runc --root {state} kill {id} KILL; sleep 0.3; runc --root {state} delete -f {id}");
            var removed = await new CgroupCleaner(pod.Layout).RemoveAsync(pod.CgroupsPath);
            Assert.That(removed.Success, Is.True, () => string.Join("; ", removed.Failures));
            Assert.That(pod.Paths.Exists, Is.False);
        }
        finally
        {
            Shell($"runc --root {state} delete -f {id} >/dev/null 2>&1 || true");
            Directory.Delete(work, recursive: true);
        }
    }

    private static void Shell(string command)
    {
        using var process = Process.Start("sh", ["-c", command]);
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, command);
    }
}
