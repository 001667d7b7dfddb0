using System.Net;
using CriShim.Config;
using CriShim.Oci.Cgroups;
using CriShim.Oci.Specs.Model;
using CriShim.RuntimeClasses;
using CriShim.Stores;
using CriShim.Tests.Unit.Cgroups;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Unit.Handlers;

/// <summary>What each runtime kind decides for the managers, stats and streaming, side by side.</summary>
public class RuntimeKindTests
{
    static readonly IRuntimeKind Oci = new OciRuntimeKind();
    static readonly IRuntimeKind Sandboxed = new SandboxedRuntimeKind();

    static PodRecord Pod(string? netns = "/run/netns/p1", string? ip = "10.88.0.5", string cgroupParent = "/kubepods/pod1") => new()
    {
        Id = "p1", Name = "n", Namespace = "ns", Uid = "u", Config = [], RuntimeHandler = "h", PodDir = "/p",
        NetNsPath = netns, Ip = ip, CgroupParent = cgroupParent,
    };

    static Spec WithCapabilities(params string[] caps) => Spec.Empty with
    {
        Process = new Process { Capabilities = new Capabilities { Bounding = caps, Effective = caps, Permitted = caps } },
    };

    static void WriteUsage(FakeCgroupFs fs, string cgroupsPath, ulong memory, ulong cpuMicros)
    {
        fs.Write("unified", cgroupsPath, "memory.current", $"{memory}\n");
        fs.Write("unified", cgroupsPath, "cpu.stat", $"usage_usec {cpuMicros}\nuser_usec 0\nsystem_usec 0\n");
    }

    // User namespaces, infra, PID namespaces.

    [Test]
    public void OnlyOciPods_MayAskForAUserNamespace()
    {
        Assert.That(Oci.SupportsUserNamespaces, Is.True);
        Assert.That(Sandboxed.SupportsUserNamespaces, Is.False);
    }

    [Test]
    public void AnOciPod_HasAnInfraBeforeTheNetwork_OnlyWhenItSharesOnePidNamespace()
    {
        Assert.That(Oci.Infra(sharedPidNamespace: true), Is.EqualTo(InfraStart.BeforeNetwork));
        Assert.That(Oci.Infra(sharedPidNamespace: false), Is.EqualTo(InfraStart.None));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void ASandboxedPod_AlwaysHasAnInfra_StartedOnceTheNetworkIsThere(bool shared) =>
        Assert.That(Sandboxed.Infra(shared), Is.EqualTo(InfraStart.AfterNetwork));

    [TestCase(true)]
    [TestCase(false)]
    public void OciContainers_AlwaysAskToJoinThePodPidNamespace(bool shared) =>
        Assert.That(Oci.JoinsPodPidNamespace(shared), Is.True);

    [TestCase(true)]
    [TestCase(false)]
    public void SandboxedContainers_JoinThePodPidNamespace_OnlyWhenThePodSharesOne(bool shared) =>
        Assert.That(Sandboxed.JoinsPodPidNamespace(shared), Is.EqualTo(shared));

    [Test]
    public void OnlyOci_HonoursATargetPidNamespace()
    {
        Assert.That(Oci.HonoursTargetPidNamespace, Is.True);
        Assert.That(Sandboxed.HonoursTargetPidNamespace, Is.False);
    }

    // Specs.

    [Test]
    public void Oci_LeavesTheSpecAsItIs()
    {
        var spec = WithCapabilities("CAP_CHOWN", "CAP_PERFMON");
        Assert.That(Oci.AdjustSpec(spec), Is.SameAs(spec));
    }

    [Test]
    public void Sandboxed_DropsCapabilitiesRunscDoesNotKnow_FromEverySet()
    {
        var caps = Sandboxed.AdjustSpec(WithCapabilities("CAP_CHOWN", "CAP_PERFMON", "CAP_SYS_ADMIN")).Process!.Capabilities!;
        Assert.That(caps.Bounding, Is.EqualTo(new[] { "CAP_CHOWN", "CAP_SYS_ADMIN" }));
        Assert.That(caps.Effective, Is.EqualTo(new[] { "CAP_CHOWN", "CAP_SYS_ADMIN" }));
        Assert.That(caps.Permitted, Is.EqualTo(new[] { "CAP_CHOWN", "CAP_SYS_ADMIN" }));
    }

    [Test]
    public void Sandboxed_LeavesASpecWithoutCapabilitiesAsItIs()
    {
        var spec = Spec.Empty with { Process = new Process() };
        Assert.That(Sandboxed.AdjustSpec(spec), Is.SameAs(spec));
    }

    // Usage.

    [Test]
    public async Task AnOciContainersUsage_IsItsOwnCgroup()
    {
        using var fs = FakeCgroupFs.V2();
        WriteUsage(fs, "/kubepods/pod1/c1", 4096, 7);
        var stats = await Oci.ContainerUsageAsync(null!, "c1", "/kubepods/pod1/c1", new CgroupStatsReader(fs.Layout), CancellationToken.None);
        Assert.That(stats?.MemoryUsageBytes, Is.EqualTo(4096UL));
        Assert.That(stats?.CpuUsageCoreNanoSeconds, Is.EqualTo(7000UL));
    }

    [Test]
    public void AnOciPodsUsage_IsTheSumOfItsContainersCgroups_SkippingOnesThatAreGone()
    {
        using var fs = FakeCgroupFs.V2();
        WriteUsage(fs, "/kubepods/pod1/c1", 100, 1);
        WriteUsage(fs, "/kubepods/pod1/c2", 200, 2);
        WriteUsage(fs, "/kubepods/pod1/p1", 100_000, 100);
        var stats = Oci.PodUsage(Pod(), ["c1", "c2", "gone"], new CgroupStatsReader(fs.Layout));
        Assert.That(stats?.MemoryUsageBytes, Is.EqualTo(300UL), "the infra's cgroup is not a member's");
        Assert.That(stats?.CpuUsageCoreNanoSeconds, Is.EqualTo(3000UL));
        Assert.That(Oci.PodUsage(Pod(), ["gone"], new CgroupStatsReader(fs.Layout)), Is.Null);
    }

    [Test]
    public void ASandboxedPodsUsage_IsTheSandboxsCgroup_NotItsContainers()
    {
        using var fs = FakeCgroupFs.V2();
        WriteUsage(fs, "/kubepods/pod1/c1", 100, 1);
        WriteUsage(fs, "/kubepods/pod1/p1", 100_000, 100);
        var stats = Sandboxed.PodUsage(Pod(), ["c1"], new CgroupStatsReader(fs.Layout));
        Assert.That(stats?.MemoryUsageBytes, Is.EqualTo(100_000UL));
    }

    [Test]
    public async Task ASandboxedContainersUsage_IsWhatTheSandboxReports_NotItsHostCgroup()
    {
        var state = Directory.CreateTempSubdirectory("crishim-kinds-").FullName;
        try
        {
            // A stand-in runsc: stats for c1 only, a failure for anything else.
            var runsc = Path.Combine(state, "fake-runsc");
            File.WriteAllText(runsc, """
                #!/bin/sh
                case "$*" in
                  *"events --stats c1") echo '{"type":"stats","data":{"cpu":{"usage":{"total":5000}},"memory":{"usage":{"usage":8192}},"pids":{"current":2}}}' ;;
                  *) exit 1 ;;
                esac
                """.Replace("\r", ""));
            File.SetUnixFileMode(runsc, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var handlers = new RuntimeClassRegistry(new CriShimOptions
            {
                State = Path.Combine(state, "state"), DefaultRuntime = "sb",
                Runtimes = new() { ["sb"] = new() { Path = runsc, Kind = "sandboxed" } },
            }, NullLoggerFactory.Instance);
            using var fs = FakeCgroupFs.V2();
            WriteUsage(fs, "/kubepods/pod1/c1", 1, 1);
            var cgroups = new CgroupStatsReader(fs.Layout);

            var stats = await Sandboxed.ContainerUsageAsync(handlers.Default, "c1", "/kubepods/pod1/c1", cgroups, CancellationToken.None);
            Assert.That(stats?.MemoryUsageBytes, Is.EqualTo(8192UL));
            Assert.That(stats?.CpuUsageCoreNanoSeconds, Is.EqualTo(5000UL));
            Assert.That(stats?.PidsCurrent, Is.EqualTo(2UL));
            Assert.That(await Sandboxed.ContainerUsageAsync(handlers.Default, "c2", "/kubepods/pod1/c1", cgroups, CancellationToken.None), Is.Null,
                "a failed `runsc events` is no sample, not the host cgroup's");
        }
        finally { Directory.Delete(state, true); }
    }

    // Teardown and streaming.

    [Test]
    public void Oci_LeavesNoCgroupBehind() =>
        Assert.That(Oci.LeftoverCgroup(Pod(), "c1"), Is.Null);

    [Test]
    public void Sandboxed_LeavesTheContainersCgroupBehind_UnderThePodsParent_OrCriShimsOwn()
    {
        Assert.That(Sandboxed.LeftoverCgroup(Pod(), "c1"), Is.EqualTo("/kubepods/pod1/c1"));
        Assert.That(Sandboxed.LeftoverCgroup(Pod(), "p1"), Is.EqualTo("/kubepods/pod1/p1"));
        Assert.That(Sandboxed.LeftoverCgroup(Pod(cgroupParent: ""), "c1"), Is.EqualTo("/crishim/c1"));
    }

    [Test]
    public void Oci_PortForwardDialsTheLoopback() =>
        Assert.That(Oci.DialAddress(Pod()), Is.Null);

    [Test]
    public void Sandboxed_PortForwardDialsThePodIp_OnThePodNetworkOnly()
    {
        Assert.That(Sandboxed.DialAddress(Pod()), Is.EqualTo(IPAddress.Parse("10.88.0.5")));
        Assert.That(Sandboxed.DialAddress(Pod(netns: null)), Is.Null, "host network: the loopback");
        Assert.That(Sandboxed.DialAddress(Pod(ip: null)), Is.Null);
        Assert.That(Sandboxed.DialAddress(Pod(ip: "not-an-ip")), Is.Null);
    }

    // The command conmon and the daemon run.

    [Test]
    public void Oci_RunsTheBinaryItself_WritingNothing()
    {
        var dir = Path.Combine(Path.GetTempPath(), "crishim-noshim-" + Guid.NewGuid().ToString("N"));
        var notes = new List<string>();
        Assert.That(Oci.PrepareCommand("/usr/bin/runc", dir, notes), Is.EqualTo("/usr/bin/runc"));
        Assert.That(notes, Is.Empty);
        Assert.That(Directory.Exists(dir), Is.False);
    }

    [Test]
    public void Sandboxed_RunsTheShimBeforeTheBinary_NotingTheProcSysNetWorkaroundWhenItApplies()
    {
        var dir = Directory.CreateTempSubdirectory("crishim-shim-").FullName;
        try
        {
            var notes = new List<string>();
            var command = Sandboxed.PrepareCommand("/usr/bin/runsc", dir, notes);
            Assert.That(command, Is.EqualTo(Path.Combine(dir, "shim")));
            var text = File.ReadAllText(command);
            Assert.That(text, Does.Contain("REAL='/usr/bin/runsc'"));
            var hidden = text.Contains("HIDE_PROC_SYS_NET=1");
            Assert.That(hidden || text.Contains("HIDE_PROC_SYS_NET=0"), "the setting is written either way");
            Assert.That(notes, hidden ? Has.Exactly(1).Contains("/proc/sys/net") : Is.Empty, "a note exactly when the workaround is on");
        }
        finally { Directory.Delete(dir, true); }
    }

    // Registration.

    [Test]
    public void TheKinds_AreFoundByName_InAnyCase_AndAnEmptyNameIsOci()
    {
        Assert.That(RuntimeKinds.Find(""), Is.SameAs(RuntimeKinds.Oci));
        Assert.That(RuntimeKinds.Find("oci"), Is.SameAs(RuntimeKinds.Oci));
        Assert.That(RuntimeKinds.Find("Sandboxed"), Is.SameAs(RuntimeKinds.Sandboxed));
        Assert.That(RuntimeKinds.Find("kata"), Is.Null);
    }

    [Test]
    public void EveryRegisteredKind_IsFoundUnderItsOwnName()
    {
        Assert.That(RuntimeKinds.Names, Is.EquivalentTo(new[] { "oci", "sandboxed" }));
        Assert.That(RuntimeKinds.Oci, Is.InstanceOf<OciRuntimeKind>());
        Assert.That(RuntimeKinds.Sandboxed, Is.InstanceOf<SandboxedRuntimeKind>());
        foreach (var kind in new[] { RuntimeKinds.Oci, RuntimeKinds.Sandboxed })
            Assert.That(RuntimeKinds.Find(kind.Name), Is.SameAs(kind));
    }

    [Test]
    public void AHandlerOfAnUnknownKind_StopsTheDaemonAtStart_NamingTheKnownKinds()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new RuntimeClassRegistry(new CriShimOptions
        {
            State = Path.GetTempPath(), DefaultRuntime = "vm",
            Runtimes = new() { ["vm"] = new() { Path = "/bin/true", Kind = "kata" } },
        }, NullLoggerFactory.Instance))!;
        Assert.That(e.Message, Does.Contain("\"kata\"").And.Contain("oci").And.Contain("sandboxed"));
    }
}
