using CriShim.Oci.Specs;
using CriShim.Oci.Specs.Model;

namespace CriShim.Tests.Unit.Oci;

public class SpecOptionsTests
{
    private static Spec Apply(params SpecOption[] options) => SpecBuilder.Build(options);

    [Test]
    public void Process_args_are_set()
    {
        var spec = Apply(SpecOptions.WithProcessArgs(["sh", "-c", "true"]));
        Assert.That(spec.Process!.Args, Is.EqualTo(new[] { "sh", "-c", "true" }));
    }

    [Test]
    public void Default_env_is_added_only_when_the_key_is_missing()
    {
        var spec = Apply(SpecOptions.WithEnv(["PATH=/bin", "A=1"]), SpecOptions.WithDefaultEnv(OciDefaults.Path), SpecOptions.WithDefaultEnv("HOME=/root"));
        Assert.That(spec.Process!.Env, Is.EqualTo(new[] { "PATH=/bin", "A=1", "HOME=/root" }));
    }

    [Test]
    public void Working_directory_is_cleaned_and_must_be_absolute()
    {
        Assert.That(Apply(SpecOptions.WithCwd("/app/./x/")).Process!.Cwd, Is.EqualTo("/app/x"));
        Assert.Throws<SpecException>(() => Apply(SpecOptions.WithCwd("app")));
    }

    [Test]
    public void Terminal_follows_tty()
    {
        Assert.That(Apply(SpecOptions.WithTerminal(true)).Process!.Terminal, Is.True);
    }

    [Test]
    public void Root_is_readonly_when_asked()
    {
        var spec = Apply(SpecOptions.WithRoot("/r", true));
        Assert.That(spec.Root, Is.EqualTo(new Root("/r", true)));
    }

    [Test]
    public void Empty_hostname_is_left_out()
    {
        Assert.That(Apply(SpecOptions.WithHostname("")).Hostname, Is.Null);
        Assert.That(Apply(SpecOptions.WithHostname("pod1")).Hostname, Is.EqualTo("pod1"));
    }

    [Test]
    public void User_sets_uid_gid_and_additional_gids()
    {
        var user = Apply(SpecOptions.WithUser(1000, 100, [100, 10])).Process!.User;
        Assert.That((user.Uid, user.Gid), Is.EqualTo((1000u, 100u)));
        Assert.That(user.AdditionalGids, Is.EqualTo(new uint[] { 100, 10 }));
    }

    [Test]
    public void Capabilities_fill_bounding_effective_and_permitted_and_ambient_ones_become_inheritable()
    {
        var caps = Apply(SpecOptions.WithCapabilities(["chown"], ["NET_BIND_SERVICE"])).Process!.Capabilities!;
        Assert.That(caps.Bounding, Is.EqualTo(new[] { "CAP_CHOWN", "CAP_NET_BIND_SERVICE" }));
        Assert.That(caps.Effective, Is.EqualTo(caps.Bounding));
        Assert.That(caps.Permitted, Is.EqualTo(caps.Bounding));
        Assert.That(caps.Inheritable, Is.EqualTo(new[] { "CAP_NET_BIND_SERVICE" }));
        Assert.That(caps.Ambient, Is.EqualTo(new[] { "CAP_NET_BIND_SERVICE" }));
    }

    [Test]
    public void No_new_privileges_oom_score_and_apparmor_are_set()
    {
        var p = Apply(SpecOptions.WithNoNewPrivileges(true), SpecOptions.WithOomScoreAdj(500), SpecOptions.WithApparmorProfile("p")).Process!;
        Assert.That((p.NoNewPrivileges, p.OomScoreAdj, p.ApparmorProfile), Is.EqualTo((true, (int?)500, "p")));
    }

    [Test]
    public void Default_mounts_are_the_containerd_set()
    {
        var mounts = Apply(SpecOptions.WithDefaultMounts()).Mounts!;
        Assert.That(mounts.Select(m => m.Destination),
            Is.EqualTo(new[] { "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup" }));
        Assert.That(mounts.Single(m => m.Destination == "/sys").Options, Does.Contain("ro"));
        Assert.That(mounts.Single(m => m.Destination == "/sys/fs/cgroup").Options, Does.Contain("ro"));
    }

    [Test]
    public void Mounts_replace_the_same_destination_and_parents_come_before_children()
    {
        var spec = Apply(SpecOptions.WithDefaultMounts(), SpecOptions.WithMounts([
            new Mount("/data/sub/deep", "bind", "/h3", ["rbind"]),
            new Mount("/data//", "bind", "/h1", ["rbind"]),
            new Mount("/dev/shm", "bind", "/pod/shm", ["rbind"]),
            new Mount("/data/sub", "bind", "/h2", ["rbind"]),
        ]));
        var dests = spec.Mounts!.Select(m => m.Destination).ToList();
        Assert.That(dests.IndexOf("/data"), Is.LessThan(dests.IndexOf("/data/sub")));
        Assert.That(dests.IndexOf("/data/sub"), Is.LessThan(dests.IndexOf("/data/sub/deep")));
        Assert.That(dests.IndexOf("/dev"), Is.LessThan(dests.IndexOf("/dev/shm")));
        Assert.That(spec.Mounts!.Where(m => m.Destination == "/dev/shm").Select(m => m.Source), Is.EqualTo(new[] { "/pod/shm" }));
    }

    [Test]
    public void Mount_destination_escaping_the_root_is_refused()
    {
        Assert.Throws<SpecException>(() => Apply(SpecOptions.WithMounts([new Mount("/../etc", "bind", "/h", null)])));
    }

    [Test]
    public void Masked_and_readonly_paths_are_set()
    {
        var linux = Apply(SpecOptions.WithMaskedPaths(OciDefaults.MaskedPaths), SpecOptions.WithReadonlyPaths(["/proc/sys"])).Linux!;
        Assert.That(linux.MaskedPaths, Does.Contain("/proc/kcore").And.Contain("/sys/firmware"));
        Assert.That(linux.ReadonlyPaths, Is.EqualTo(new[] { "/proc/sys" }));
    }

    [Test]
    public void Namespaces_join_paths_and_leave_out_host_ones()
    {
        var ns = new NamespacesInput
        {
            Network = NamespaceRef.Join("/run/crishim/netns/p1"),
            Ipc = NamespaceRef.Host,
            Uts = NamespaceRef.Join("/run/crishim/utsns/p1"),
            Pid = NamespaceRef.New,
        };
        var list = Apply(SpecOptions.WithNamespaces(ns)).Linux!.Namespaces!;
        Assert.That(list, Is.EquivalentTo(new[]
        {
            new LinuxNamespace("mount"), new LinuxNamespace("network", "/run/crishim/netns/p1"),
            new LinuxNamespace("uts", "/run/crishim/utsns/p1"), new LinuxNamespace("pid"),
        }));
    }

    [Test]
    public void Namespace_paths_must_be_absolute()
    {
        Assert.Throws<SpecException>(() => Apply(SpecOptions.WithNamespaces(new NamespacesInput { Network = NamespaceRef.Join("netns") })));
    }

    [Test]
    public void Resources_map_cpu_memory_hugepages_and_pids()
    {
        var r = new ResourcesInput
        {
            CpuShares = 512, CpuQuota = 50000, CpuPeriod = 100000, CpusetCpus = "0", CpusetMems = "0",
            MemoryLimitBytes = 64 << 20, Hugepages = [new HugepageInput("2MB", 0)], PidsLimit = 100,
        };
        var res = Apply(SpecOptions.WithResources(r, swapAccounting: true)).Linux!.Resources!;
        Assert.That(res.Cpu, Is.EqualTo(new LinuxCpu { Shares = 512, Quota = 50000, Period = 100000, Cpus = "0", Mems = "0" }));
        Assert.That(res.Memory, Is.EqualTo(new LinuxMemory { Limit = 64 << 20, Swap = 64 << 20 }));
        Assert.That(res.HugepageLimits, Is.EqualTo(new[] { new LinuxHugepageLimit("2MB", 0) }));
        Assert.That(res.Pids, Is.EqualTo(new LinuxPids(100)));
    }

    [Test]
    public void Swap_is_not_set_without_swap_accounting_and_explicit_swap_wins_otherwise()
    {
        var noSwap = Apply(SpecOptions.WithResources(new ResourcesInput { MemoryLimitBytes = 1000 }, false)).Linux!.Resources!;
        Assert.That(noSwap.Memory, Is.EqualTo(new LinuxMemory { Limit = 1000 }));
        var explicitSwap = Apply(SpecOptions.WithResources(new ResourcesInput { MemoryLimitBytes = 1000, MemorySwapLimitBytes = 3000 }, true)).Linux!.Resources!;
        Assert.That(explicitSwap.Memory!.Swap, Is.EqualTo(3000));
    }

    [Test]
    public void Unset_resources_leave_no_cgroup_limits()
    {
        var res = Apply(SpecOptions.WithResources(new ResourcesInput(), true)).Linux!.Resources!;
        Assert.That((res.Cpu, res.Memory, res.Pids, res.HugepageLimits), Is.EqualTo(((LinuxCpu?)null, (LinuxMemory?)null, (LinuxPids?)null, (IReadOnlyList<LinuxHugepageLimit>?)null)));
    }

    [Test]
    public void Default_devices_deny_all_then_allow_the_usual_ones()
    {
        var rules = Apply(SpecOptions.WithDefaultDevices()).Linux!.Resources!.Devices!;
        Assert.That(rules[0], Is.EqualTo(new LinuxDeviceCgroup(false, Access: "rwm")));
        Assert.That(rules, Does.Contain(new LinuxDeviceCgroup(true, "c", 1, 3, "rwm")));
    }

    [Test]
    public void Devices_add_a_node_and_an_allow_rule()
    {
        var dev = new LinuxDevice { Path = "/dev/fuse", Type = "c", Major = 10, Minor = 229 };
        var spec = Apply(SpecOptions.WithDefaultDevices(), SpecOptions.WithDevices([(dev, "rw")]));
        Assert.That(spec.Linux!.Devices, Is.EqualTo(new[] { dev }));
        Assert.That(spec.Linux.Resources!.Devices![^1], Is.EqualTo(new LinuxDeviceCgroup(true, "c", 10, 229, "rw")));
    }

    [Test]
    public void Device_permissions_other_than_rwm_are_refused()
    {
        var dev = new LinuxDevice { Path = "/dev/fuse", Type = "c", Major = 10, Minor = 229 };
        Assert.Throws<SpecException>(() => Apply(SpecOptions.WithDevices([(dev, "rx")])));
    }

    [Test]
    public void Seccomp_sysctls_cgroups_path_and_propagation_are_set()
    {
        var seccomp = new LinuxSeccomp { DefaultAction = "SCMP_ACT_ALLOW" };
        var linux = Apply(SpecOptions.WithSeccomp(seccomp), SpecOptions.WithSysctls(new Dictionary<string, string> { ["net.ipv4.ip_forward"] = "1" }),
            SpecOptions.WithCgroupsPath("/crishim/c1"), SpecOptions.WithRootfsPropagation("rslave")).Linux!;
        Assert.That(linux.Seccomp, Is.SameAs(seccomp));
        Assert.That(linux.Sysctl!["net.ipv4.ip_forward"], Is.EqualTo("1"));
        Assert.That((linux.CgroupsPath, linux.RootfsPropagation), Is.EqualTo(("/crishim/c1", "rslave")));
    }

    [Test]
    public void Annotations_merge_with_later_values_winning()
    {
        var spec = Apply(SpecOptions.WithAnnotations(new Dictionary<string, string> { ["a"] = "1", ["b"] = "1" }),
            SpecOptions.WithAnnotations(new Dictionary<string, string> { ["b"] = "2" }));
        Assert.That(spec.Annotations, Is.EquivalentTo(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }));
    }

    [Test]
    public void Privileged_gets_all_caps_all_devices_writable_sys_and_no_confinement()
    {
        var spec = Apply(SpecOptions.WithDefaultMounts(), SpecOptions.WithDefaultDevices(), SpecOptions.WithMaskedPaths(OciDefaults.MaskedPaths),
            SpecOptions.WithReadonlyPaths(OciDefaults.ReadonlyPaths), SpecOptions.WithSeccomp(new LinuxSeccomp { DefaultAction = "SCMP_ACT_ERRNO" }),
            SpecOptions.WithPrivileged([new LinuxDevice { Path = "/dev/sda", Type = "b", Major = 8, Minor = 0 }]));
        Assert.That(spec.Process!.Capabilities!.Bounding, Is.EqualTo(CapabilitySet.All));
        Assert.That(spec.Linux!.Devices!.Select(d => d.Path), Is.EqualTo(new[] { "/dev/sda" }));
        Assert.That(spec.Linux.Resources!.Devices, Is.EqualTo(new[] { new LinuxDeviceCgroup(true, Access: "rwm") }));
        Assert.That((spec.Linux.MaskedPaths, spec.Linux.ReadonlyPaths, spec.Linux.Seccomp), Is.EqualTo(((IReadOnlyList<string>?)null, (IReadOnlyList<string>?)null, (LinuxSeccomp?)null)));
        Assert.That(spec.Mounts!.Single(m => m.Destination == "/sys").Options, Does.Contain("rw").And.Not.Contain("ro"));
        Assert.That(spec.Mounts!.Single(m => m.Destination == "/sys/fs/cgroup").Options, Does.Contain("rw").And.Not.Contain("ro"));
    }

    [Test]
    public void Options_do_not_change_the_spec_they_are_given()
    {
        var seed = Spec.Empty;
        var changed = SpecOptions.WithProcessArgs(["x"])(seed);
        Assert.That(seed.Process!.Args, Is.Empty);
        Assert.That(changed.Process!.Args, Is.EqualTo(new[] { "x" }));
    }
}
