using CriShim.Oci.Specs.Model;
using CriShim.RuntimeClasses;

namespace CriShim.Tests.Unit.Handlers;

public class SandboxPartsTests
{
    [Test]
    public void SandboxSpecs_DropCapabilitiesRunscDoesNotKnow_AndKeepTheRest()
    {
        var spec = Spec.Empty with
        {
            Process = new Process
            {
                Capabilities = new Capabilities
                {
                    Bounding = ["CAP_CHOWN", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"],
                    Effective = ["CAP_SYS_ADMIN", "CAP_BPF"], Permitted = ["CAP_SYS_ADMIN"], Inheritable = null, Ambient = [],
                },
            },
        };
        var caps = SandboxSpec.Adjust(spec).Process!.Capabilities!;
        Assert.That(caps.Bounding, Is.EqualTo(new[] { "CAP_CHOWN", "CAP_AUDIT_READ" }));
        Assert.That(caps.Effective, Is.EqualTo(new[] { "CAP_SYS_ADMIN" }));
        Assert.That(caps.Inheritable, Is.Null);
        Assert.That(caps.Ambient, Is.Empty);
    }

    [Test]
    public void RunscStats_GiveCpuMemoryAndPids()
    {
        const string line = """{"type":"stats","id":"c1","data":{"cpu":{"usage":{"total":247415677}},"memory":{"usage":{"limit":0,"usage":4829184,"failcnt":0}},"pids":{"current":3}}}""";
        var stats = SandboxStats.Parse(line, 42)!;
        Assert.That(stats.TimestampNanos, Is.EqualTo(42));
        Assert.That(stats.CpuUsageCoreNanoSeconds, Is.EqualTo(247415677UL));
        Assert.That(stats.MemoryWorkingSetBytes, Is.EqualTo(4829184UL));
        Assert.That(stats.PidsCurrent, Is.EqualTo(3UL));
    }

    [Test]
    public void RunscStats_OfASandboxThatHasNotRunYet_CountZeroCpu()
    {
        var stats = SandboxStats.Parse("""{"type":"stats","data":{"cpu":{"usage":{}},"memory":{"usage":{"usage":1}}}}""", 1)!;
        Assert.That(stats.CpuUsageCoreNanoSeconds, Is.EqualTo(0UL));
        Assert.That(SandboxStats.Parse("not json", 1), Is.Null);
    }

    [Test]
    public void AHybridHostWithHugetlbOnCgroup2_IsReportedForCrun_WithTheFix()
    {
        var root = Directory.CreateTempSubdirectory("crishim-cg-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "unified"));
            File.WriteAllText(Path.Combine(root, "unified", "cgroup.controllers"), "hugetlb\n");
            var controllers = HostChecks.HybridCgroup2Controllers(root);
            Assert.That(controllers, Is.EqualTo(new[] { "hugetlb" }));
            Assert.That(HostChecks.CrunHybridProblem(controllers), Does.Contain("mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb"));

            File.WriteAllText(Path.Combine(root, "unified", "cgroup.controllers"), "");
            Assert.That(HostChecks.HybridCgroup2Controllers(root), Is.Empty, "every controller on v1: crun runs");
        }
        finally { Directory.Delete(root, true); }
    }

    [Test]
    public void ThePureCgroupV2Host_IsFineForCrun()
    {
        var root = Directory.CreateTempSubdirectory("crishim-cg-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "cpu memory hugetlb");
            Assert.That(HostChecks.HybridCgroup2Controllers(root), Is.Empty);
        }
        finally { Directory.Delete(root, true); }
    }

    [Test]
    public void TheShim_IsWrittenExecutable_WithTheRealBinaryAndItsSettings()
    {
        var dir = Directory.CreateTempSubdirectory("crishim-shim-").FullName;
        try
        {
            var path = SandboxShim.Write(dir, "/usr/bin/run'sc", hideProcSysNet: true);
            var text = File.ReadAllText(path);
            Assert.That(text, Does.StartWith("#!/bin/sh\nREAL='/usr/bin/run'\\''sc'\n"));
            Assert.That(text, Does.Contain("HIDE_PROC_SYS_NET=1").And.Contain("SHIM_DIR='" + Path.Combine(dir, "c") + "'"));
            Assert.That(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute));
        }
        finally { Directory.Delete(dir, true); }
    }
}
