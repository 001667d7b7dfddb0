using System.Text.Json.Nodes;
using CriShim.Oci.Specs;
using CriShim.Oci.Specs.Model;

namespace CriShim.Tests.Unit.Oci;

public class ContainerSpecGeneratorTests
{
    private TempDir _dir = null!;
    private string _rootfs = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir();
        _rootfs = _dir.Combine("rootfs");
        _dir.Write("rootfs/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
        _dir.Write("rootfs/etc/group", "root:x:0:\napp:x:1000:\nwheel:x:10:app\n");
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private ContainerSpecInput Input() => new()
    {
        ContainerId = "c1", ContainerName = "web", SandboxId = "s1", SandboxName = "pod", SandboxNamespace = "default",
        SandboxUid = "uid-1", ImageName = "docker.io/library/busybox:latest", RootfsPath = _rootfs,
        Image = new ImageDefaults { Cmd = ["sh"], Env = ["PATH=/usr/bin:/bin", "LANG=C"], User = "app" },
        Hostname = "pod-host",
        PodFiles = new PodFilePaths("/pod/hostname", "/pod/hosts", "/pod/resolv.conf", "/pod/shm"),
        Namespaces = new NamespacesInput
        {
            Network = NamespaceRef.Join("/run/ns/net"), Ipc = NamespaceRef.Join("/run/ns/ipc"), Uts = NamespaceRef.Join("/run/ns/uts"),
        },
    };

    private static Spec Generate(ContainerSpecInput input, IHostEnvironment? host = null) =>
        new ContainerSpecGenerator(host ?? new FakeHost()).Generate(input);

    [Test]
    public void A_plain_container_gets_the_image_user_command_env_and_the_defaults()
    {
        var spec = Generate(Input());
        var p = spec.Process!;
        Assert.That(p.Args, Is.EqualTo(new[] { "sh" }));
        Assert.That((p.User.Uid, p.User.Gid), Is.EqualTo((1000u, 1000u)));
        Assert.That(p.User.AdditionalGids, Is.EqualTo(new uint[] { 1000, 10 }));
        Assert.That(p.Env, Is.EqualTo(new[] { "PATH=/usr/bin:/bin", "LANG=C", "HOSTNAME=pod-host", "HOME=/home/app" }));
        Assert.That(p.Cwd, Is.EqualTo("/"));
        Assert.That(p.Capabilities!.Bounding, Is.EquivalentTo(OciDefaults.Capabilities));
        Assert.That(p.Rlimits, Is.Null);
        Assert.That(spec.Root, Is.EqualTo(new Root(_rootfs, false)));
        Assert.That(spec.Hostname, Is.EqualTo("pod-host"));
        Assert.That(spec.Linux!.MaskedPaths, Is.EqualTo(OciDefaults.MaskedPaths));
        Assert.That(spec.Linux.ReadonlyPaths, Is.EqualTo(OciDefaults.ReadonlyPaths));
        Assert.That(spec.Linux.Seccomp!.Syscalls!.SelectMany(s => s.Names), Does.Contain("mount"));
        Assert.That(spec.Linux.Namespaces!.Select(n => n.Type), Is.EquivalentTo(new[] { "mount", "network", "ipc", "uts", "pid" }));
    }

    [Test]
    public void Pod_files_are_mounted_unless_a_cri_mount_takes_their_place()
    {
        var custom = _dir.Combine("my-hosts");
        File.WriteAllText(custom, "");
        var spec = Generate(Input() with { Mounts = [new MountInput("/etc/hosts", custom)] });
        var byDest = spec.Mounts!.ToDictionary(m => m.Destination, m => m.Source);
        Assert.That(byDest["/etc/hosts"], Is.EqualTo(custom));
        Assert.That(byDest["/etc/resolv.conf"], Is.EqualTo("/pod/resolv.conf"));
        Assert.That(byDest["/etc/hostname"], Is.EqualTo("/pod/hostname"));
        Assert.That(byDest["/dev/shm"], Is.EqualTo("/pod/shm"));
        Assert.That(spec.Mounts!.Count(m => m.Destination == "/dev/shm"), Is.EqualTo(1));
    }

    [Test]
    public void Host_uts_namespace_means_no_hostname_in_the_spec()
    {
        var input = Input() with { Namespaces = new NamespacesInput { Network = NamespaceRef.Host, Ipc = NamespaceRef.Host, Uts = NamespaceRef.Host } };
        var spec = Generate(input);
        Assert.That(spec.Hostname, Is.Null);
        Assert.That(spec.Linux!.Namespaces!.Select(n => n.Type), Is.EquivalentTo(new[] { "mount", "pid" }));
    }

    [Test]
    public void Cri_user_group_and_supplemental_groups_win_over_the_image_user()
    {
        var input = Input() with { Security = new SecurityInput { RunAsUser = 4242, RunAsGroup = 7, SupplementalGroups = [99] } };
        var user = Generate(input).Process!.User;
        Assert.That((user.Uid, user.Gid), Is.EqualTo((4242u, 7u)));
        Assert.That(user.AdditionalGids, Is.EqualTo(new uint[] { 7, 99 }));
        Assert.That(Generate(input).Process!.Env, Does.Contain("HOME=/"));
    }

    [Test]
    public void Path_is_defaulted_when_the_image_has_none()
    {
        var input = Input() with { Image = new ImageDefaults { Cmd = ["sh"] } };
        Assert.That(Generate(input).Process!.Env, Does.Contain(OciDefaults.Path));
    }

    [Test]
    public void Readonly_rootfs_tty_working_dir_and_no_new_privs_are_honoured()
    {
        var input = Input() with
        {
            Tty = true, WorkingDir = "/work",
            Security = new SecurityInput { ReadonlyRootfs = true, NoNewPrivileges = true },
        };
        var spec = Generate(input);
        Assert.That((spec.Root!.Readonly, spec.Process!.Terminal, spec.Process.Cwd, spec.Process.NoNewPrivileges), Is.EqualTo((true, true, "/work", true)));
        Assert.That(spec.Mounts!.Single(m => m.Destination == "/etc/hosts").Options, Does.Contain("ro"));
    }

    [Test]
    public void Oom_score_is_clamped_to_the_daemons_own()
    {
        var input = Input() with { Resources = new ResourcesInput { OomScoreAdj = -998 } };
        Assert.That(Generate(input, new FakeHost(minimumOom: 0)).Process!.OomScoreAdj, Is.EqualTo(0));
        Assert.That(Generate(input, new FakeHost(minimumOom: -999)).Process!.OomScoreAdj, Is.EqualTo(-998));
    }

    [Test]
    public void Cri_devices_are_created_and_allowed()
    {
        var spec = Generate(Input() with { Devices = [new DeviceInput("/dev/fuse", "/dev/fuse", "rw")] });
        Assert.That(spec.Linux!.Devices!.Single().Major, Is.EqualTo(10));
        Assert.That(spec.Linux.Resources!.Devices, Does.Contain(new LinuxDeviceCgroup(true, "c", 10, 229, "rw")));
    }

    [Test]
    public void Unknown_devices_and_capabilities_are_spec_errors()
    {
        Assert.Throws<SpecException>(() => Generate(Input() with { Devices = [new DeviceInput("/dev/x", "/dev/nope")] }));
        Assert.Throws<SpecException>(() => Generate(Input() with { Security = new SecurityInput { AddCapabilities = ["CAP_WINGS"] } }));
    }

    [Test]
    public void Unconfined_seccomp_leaves_no_filter_and_localhost_loads_the_file()
    {
        Assert.That(Generate(Input() with { Security = new SecurityInput { Seccomp = SeccompInput.Unconfined } }).Linux!.Seccomp, Is.Null);
        var path = _dir.Write("profile.json", """{"defaultAction":"SCMP_ACT_LOG"}""");
        var spec = Generate(Input() with { Security = new SecurityInput { Seccomp = new SeccompInput(SeccompKind.Localhost, path) } });
        Assert.That(spec.Linux!.Seccomp!.DefaultAction, Is.EqualTo("SCMP_ACT_LOG"));
        Assert.Throws<SpecException>(() => Generate(Input() with { Security = new SecurityInput { Seccomp = new SeccompInput(SeccompKind.Localhost, "/no/such.json") } }));
    }

    [Test]
    public void Privileged_containers_get_everything()
    {
        var spec = Generate(Input() with { Security = new SecurityInput { Privileged = true } });
        Assert.That(spec.Process!.Capabilities!.Bounding, Is.EqualTo(CapabilitySet.All));
        Assert.That(spec.Linux!.Seccomp, Is.Null);
        Assert.That(spec.Linux.MaskedPaths, Is.Null);
        Assert.That(spec.Linux.Devices!.Select(d => d.Path), Does.Contain("/dev/sda"));
    }

    [Test]
    public void Privileged_containers_get_only_the_capabilities_the_daemon_holds()
    {
        var held = CapabilitySet.All.Where(c => c != "CAP_SYS_RESOURCE").ToList();
        var spec = Generate(Input() with { Security = new SecurityInput { Privileged = true } }, new FakeHost { Capabilities = held });
        Assert.That(spec.Process!.Capabilities!.Bounding, Is.EqualTo(held));
    }

    [Test]
    public void Cri_annotations_identify_the_container_and_its_sandbox()
    {
        var a = Generate(Input()).Annotations!;
        Assert.That(a[CriAnnotations.ContainerType], Is.EqualTo("container"));
        Assert.That(a[CriAnnotations.SandboxId], Is.EqualTo("s1"));
        Assert.That(a[CriAnnotations.ContainerName], Is.EqualTo("web"));
        Assert.That(a[CriAnnotations.ImageName], Is.EqualTo("docker.io/library/busybox:latest"));
    }

    [Test]
    public void The_json_uses_oci_field_names_and_omits_nulls()
    {
        var spec = Generate(Input() with { Resources = new ResourcesInput { MemoryLimitBytes = 1 << 20 } });
        var json = JsonNode.Parse(BundleWriter.Serialize(spec))!;
        Assert.That((string?)json["ociVersion"], Is.EqualTo("1.0.2-dev"));
        Assert.That(json["process"]!["user"]!["additionalGids"]!.AsArray().Select(g => (uint)g!), Is.EqualTo(spec.Process!.User.AdditionalGids));
        Assert.That((int?)json["process"]!["oomScoreAdj"], Is.EqualTo(spec.Process.OomScoreAdj).And.Not.Null);
        Assert.That(json["process"]!["apparmorProfile"], Is.Null);
        Assert.That(json["linux"]!["resources"]!["memory"]!["limit"]!.GetValue<long>(), Is.EqualTo(1 << 20));
        Assert.That(json["linux"]!["maskedPaths"]!.AsArray().Select(p => (string?)p), Is.EqualTo(spec.Linux!.MaskedPaths).And.Not.Empty);
        Assert.That((string?)json["linux"]!["seccomp"]!["defaultAction"], Is.EqualTo(spec.Linux.Seccomp!.DefaultAction).And.Not.Null);
        Assert.That(json["linux"]!.AsObject().ContainsKey("mountLabel"), Is.False);
        Assert.That(json["root"]!["readonly"]!.GetValue<bool>(), Is.False);
    }

    [Test]
    public void Infra_spec_holds_the_pod_namespaces_and_is_locked_down()
    {
        var spec = new SandboxSpecGenerator(new FakeHost()).Generate(new SandboxSpecInput
        {
            SandboxId = "s1", SandboxName = "pod", RootfsPath = _rootfs, Args = ["/pause"], Hostname = "pod-host",
            Namespaces = new NamespacesInput { Network = NamespaceRef.Join("/run/ns/net"), Pid = NamespaceRef.New },
            PodFiles = new PodFilePaths("/p/hostname", "/p/hosts", "/p/resolv.conf", "/p/shm"),
        });
        Assert.That(spec.Process!.Args, Is.EqualTo(new[] { "/pause" }));
        Assert.That(spec.Root!.Readonly, Is.True);
        Assert.That(spec.Process.NoNewPrivileges, Is.True);
        Assert.That(spec.Process.OomScoreAdj, Is.EqualTo(0));
        Assert.That(spec.Annotations![CriAnnotations.ContainerType], Is.EqualTo("sandbox"));
        Assert.That(spec.Linux!.Namespaces, Does.Contain(new LinuxNamespace("pid")).And.Contain(new LinuxNamespace("network", "/run/ns/net")));
        Assert.That(spec.Mounts!.Select(m => m.Destination), Does.Not.Contain("/etc/hosts"));
        Assert.That(spec.Mounts!.Single(m => m.Destination == "/dev/shm").Source, Is.EqualTo("/p/shm"));
    }
}
