using System.Globalization;
using CriShim.Oci.Specs;
using CriShim.Oci.Pod;
using CriShim.Oci.Rootfs;

namespace CriShim.Tests.Integration.Oci;

/// <summary>Specs built by the OCI layer, run by the real runc on a real overlay of busybox layers.</summary>
[TestFixture, NonParallelizable]
public class RuncContainerTests
{
    private BusyboxLayers _layers = null!;
    private Runc _runc = null!;
    private PodFilePaths _podFiles = null!;

    [OneTimeSetUp]
    public async Task SetUp()
    {
        _layers = new BusyboxLayers();
        _runc = new Runc(_layers.Dir("runc-state"));
        _podFiles = await PodFiles.WriteAsync(_layers.Dir("pod"), new PodFilesInput
        {
            Hostname = "oci-pod", PodIps = ["10.88.0.9"], Dns = new DnsSettings(["10.0.0.10"], ["svc.local"], ["ndots:2"]),
        });
        ShmMount.Mount(_podFiles.Shm!);
        _layers.Track(_podFiles.Shm!);
    }

    [OneTimeTearDown]
    public void TearDown() => _layers.Dispose();

    private async Task<Runc.Result> RunAsync(Func<ContainerSpecInput, ContainerSpecInput> customize, params string[] command)
    {
        var id = "oci-it-" + Guid.NewGuid().ToString("N")[..10];
        var layout = _layers.MountRootfs(id);
        try
        {
            var input = customize(new ContainerSpecInput
            {
                ContainerId = id, ContainerName = "c", SandboxId = "s", RootfsPath = layout.Target, Command = command,
                Hostname = "oci-pod", PodFiles = _podFiles, CgroupsPath = "/" + id,
            });
            var spec = new ContainerSpecGenerator().Generate(input);
            var bundle = _layers.Dir(Path.Combine("bundles", id));
            await BundleWriter.WriteAsync(bundle, spec);
            return await _runc.RunAsync(bundle, id);
        }
        finally
        {
            OverlayRootfs.Unmount(layout.Target);
        }
    }

    private Task<Runc.Result> Sh(string script, Func<ContainerSpecInput, ContainerSpecInput>? customize = null) =>
        RunAsync(customize ?? (i => i), "/bin/sh", "-c", script);

    private static SecurityInput Sec(ContainerSpecInput i) => i.Security;

    [Test]
    public async Task Id_inside_the_container_matches_the_resolved_user()
    {
        var root = await RunAsync(i => i, "id");
        Assert.That(root.Stdout.Trim(), Is.EqualTo("uid=0(root) gid=0(root) groups=0(root),10(wheel)"), root.ToString());
        var app = await RunAsync(i => i with { Security = Sec(i) with { RunAsUsername = "app" } }, "id");
        // The kernel keeps supplementary groups sorted.
        Assert.That(app.Stdout.Trim(), Is.EqualTo("uid=1000(app) gid=1000(app) groups=10(wheel),1000(app)"), app.ToString());
        var numeric = await RunAsync(i => i with { Security = Sec(i) with { RunAsUser = 4242, SupplementalGroups = [55] } }, "id");
        Assert.That(numeric.Stdout.Trim(), Is.EqualTo("uid=4242 gid=0(root) groups=0(root),55"), numeric.ToString());
    }

    [Test]
    public async Task A_dropped_capability_is_really_dropped()
    {
        const int netRaw = 13;
        static ulong Bounding(Runc.Result r) => ulong.Parse(
            r.Stdout.Split('\n').Single(l => l.StartsWith("CapBnd:")).Split(':')[1].Trim(), NumberStyles.HexNumber);

        var kept = await Sh("grep Cap /proc/self/status");
        var dropped = await Sh("grep Cap /proc/self/status", i => i with { Security = Sec(i) with { DropCapabilities = ["NET_RAW"] } });
        Assert.That(Bounding(kept) & (1UL << netRaw), Is.Not.Zero, kept.ToString());
        Assert.That(Bounding(dropped) & (1UL << netRaw), Is.Zero, dropped.ToString());
        Assert.That(Bounding(kept) & ~(1UL << netRaw), Is.EqualTo(Bounding(dropped)));
    }

    [Test]
    public async Task A_readonly_rootfs_refuses_writes()
    {
        var ro = await Sh("touch /newfile && echo wrote || echo refused", i => i with { Security = Sec(i) with { ReadonlyRootfs = true } });
        Assert.That(ro.Stdout.Trim(), Is.EqualTo("refused"), ro.ToString());
        Assert.That(ro.Stderr, Does.Contain("Read-only file system"));
        var rw = await Sh("touch /newfile && echo wrote || echo refused");
        Assert.That(rw.Stdout.Trim(), Is.EqualTo("wrote"), rw.ToString());
    }

    [Test]
    public async Task Runtime_default_seccomp_blocks_namespace_creation_but_the_shell_works()
    {
        const string script = "grep Seccomp: /proc/self/status; unshare -U true && echo escaped || echo blocked";
        var confined = await Sh(script);
        Assert.That(confined.ExitCode, Is.Zero, confined.ToString());
        Assert.That(confined.Stdout, Does.Match(@"Seccomp:\s+2").And.Contain("blocked"), confined.ToString());
        var unconfined = await Sh(script, i => i with { Security = Sec(i) with { Seccomp = SeccompInput.Unconfined } });
        Assert.That(unconfined.Stdout, Does.Match(@"Seccomp:\s+0").And.Contain("escaped"), unconfined.ToString());
    }

    [Test]
    public async Task Mount_is_refused_inside_an_unprivileged_container()
    {
        var result = await Sh("mount -t tmpfs none /mnt 2>&1; echo rc=$?");
        Assert.That(result.Stdout, Does.Contain("permission denied").And.EndWith("rc=1\n"), result.ToString());
    }

    [Test]
    public async Task Masked_paths_are_masked_and_readonly_paths_are_readonly()
    {
        // Masked files read as /dev/null, masked directories are empty; /proc/kcore is absent on this kernel, so test
        // with /proc/keys and /proc/timer_list, which exist.
        var result = await Sh("cat /proc/keys /proc/timer_list | wc -c; ls -A /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo writable || echo ro");
        Assert.That(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Is.EqualTo(new[] { "0", "0", "ro" }), result.ToString());
    }

    [Test]
    public async Task Pod_files_give_the_hostname_hosts_and_resolv_conf()
    {
        var result = await Sh("hostname; cat /etc/hostname; grep oci-pod /etc/hosts; cat /etc/resolv.conf; echo $HOSTNAME $HOME");
        Assert.That(result.Stdout, Is.EqualTo(
            "oci-pod\noci-pod\n10.88.0.9\toci-pod\nsearch svc.local\nnameserver 10.0.0.10\noptions ndots:2\noci-pod /root\n"), result.ToString());
    }

    [Test]
    public async Task Dev_shm_is_the_pods_tmpfs()
    {
        var name = "shm-" + Guid.NewGuid().ToString("N")[..6];
        var result = await Sh($"echo hi > /dev/shm/{name} && stat -c %a /dev/shm");
        Assert.That(result.Stdout.Trim(), Is.EqualTo("1777"), result.ToString());
        Assert.That(File.ReadAllText(Path.Combine(_podFiles.Shm!, name)), Is.EqualTo("hi\n"));
    }

    [Test]
    public async Task A_bind_mount_is_visible_and_read_only_when_asked()
    {
        var data = _layers.Dir("data-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(Path.Combine(data, "f"), "host data\n");
        var result = await Sh("cat /data/f; touch /data/g && echo wrote || echo refused",
            i => i with { Mounts = [new MountInput("/data", data, Readonly: true)] });
        Assert.That(result.Stdout, Is.EqualTo("host data\nrefused\n"), result.ToString());
    }

    [Test]
    public async Task A_requested_device_is_created_and_usable()
    {
        var result = await Sh("echo hi > /dev/mynull && echo wrote; ls -l /dev/mynull",
            i => i with { Devices = [new DeviceInput("/dev/mynull", "/dev/null", "rw")] });
        Assert.That(result.Stdout, Does.StartWith("wrote\ncrw"), result.ToString());
    }

    [Test]
    public async Task Both_layers_are_visible_with_the_top_one_winning()
    {
        var result = await Sh("cat /etc/motd /base-only");
        Assert.That(result.Stdout, Is.EqualTo("top\nfrom base\n"), result.ToString());
    }

    [Test]
    public async Task Memory_limit_and_oom_score_reach_the_container()
    {
        var result = await Sh("cat /proc/self/oom_score_adj",
            i => i with { Resources = new ResourcesInput { MemoryLimitBytes = 64L << 20, OomScoreAdj = 300, PidsLimit = 50 } });
        Assert.That(result.Stdout.Trim(), Is.EqualTo("300"), result.ToString());
        var clamped = await Sh("cat /proc/self/oom_score_adj", i => i with { Resources = new ResourcesInput { OomScoreAdj = -998 } });
        Assert.That(clamped.ExitCode, Is.Zero, clamped.ToString());
        Assert.That(int.Parse(clamped.Stdout.Trim()), Is.EqualTo(new LinuxHostEnvironment().MinimumOomScoreAdj));
    }

    [Test]
    public async Task A_privileged_container_has_every_capability_and_may_mount()
    {
        // "Every" = every capability this daemon holds (this host withholds CAP_SYS_RESOURCE from root).
        var own = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("CapBnd:"));
        var result = await Sh("grep CapBnd /proc/self/status; grep Seccomp: /proc/self/status; mount -t tmpfs none /mnt && echo mounted",
            i => i with { Security = Sec(i) with { Privileged = true } });
        Assert.That(result.Stdout, Does.Contain(own).And.Match(@"Seccomp:\s+0").And.Contain("mounted"), result.ToString());
    }

    [Test]
    public async Task Adding_cap_sys_admin_lifts_the_seccomp_mount_rule_as_docker_does()
    {
        var result = await Sh("mount -t tmpfs none /mnt && echo mounted",
            i => i with { Security = Sec(i) with { AddCapabilities = ["SYS_ADMIN"] } });
        Assert.That(result.Stdout.Trim(), Is.EqualTo("mounted"), result.ToString());
    }

    [Test]
    public async Task A_host_network_container_keeps_the_hosts_hostname_and_interfaces()
    {
        var hostName = File.ReadAllText("/proc/sys/kernel/hostname").Trim();
        var result = await Sh("hostname; ls /sys/class/net | wc -l",
            i => i with { Namespaces = new NamespacesInput { Network = NamespaceRef.Host, Uts = NamespaceRef.Host, Ipc = NamespaceRef.Host } });
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Is.EqualTo(hostName), result.ToString());
        Assert.That(int.Parse(lines[1].Trim()), Is.EqualTo(Directory.GetFileSystemEntries("/sys/class/net").Length));
    }

    [Test]
    public async Task The_infra_spec_runs_on_a_readonly_rootfs()
    {
        var id = "oci-it-infra-" + Guid.NewGuid().ToString("N")[..8];
        var layout = _layers.MountRootfs(id);
        try
        {
            var spec = new SandboxSpecGenerator().Generate(new SandboxSpecInput
            {
                SandboxId = id, RootfsPath = layout.Target, Hostname = "oci-pod", CgroupsPath = "/" + id,
                Args = ["/bin/sh", "-c", "echo $$; hostname; touch /x 2>/dev/null || echo readonly"],
                PodFiles = _podFiles,
            });
            var bundle = _layers.Dir(Path.Combine("bundles", id));
            await BundleWriter.WriteAsync(bundle, spec);
            var result = await _runc.RunAsync(bundle, id);
            Assert.That(result.Stdout, Is.EqualTo("1\noci-pod\nreadonly\n"), result.ToString());
        }
        finally
        {
            OverlayRootfs.Unmount(layout.Target);
        }
    }

    [Test]
    public async Task Pod_sysctls_are_applied_in_the_containers_namespaces()
    {
        var result = await Sh("cat /proc/sys/net/ipv4/ip_unprivileged_port_start",
            i => i with { Sysctls = new Dictionary<string, string> { ["net.ipv4.ip_unprivileged_port_start"] = "80" } });
        Assert.That(result.Stdout.Trim(), Is.EqualTo("80"), result.ToString());
    }

    [TestCase(MountPropagation.HostToContainer)]
    [TestCase(MountPropagation.Bidirectional)]
    public async Task Propagating_bind_mounts_are_accepted_by_runc(MountPropagation propagation)
    {
        var data = _layers.Dir("prop-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(Path.Combine(data, "f"), "shared\n");
        var result = await Sh("cat /data/f; grep ' /data ' /proc/self/mountinfo",
            i => i with { Mounts = [new MountInput("/data", data, Propagation: propagation)] });
        Assert.That(result.Stdout, Does.StartWith("shared\n"), result.ToString());
        // rslave only shows "master:" when the host mount is shared; this VM's / is private, so only rshared is checked.
        if (propagation == MountPropagation.Bidirectional) Assert.That(result.Stdout, Does.Contain("shared:"), result.ToString());
    }
}
