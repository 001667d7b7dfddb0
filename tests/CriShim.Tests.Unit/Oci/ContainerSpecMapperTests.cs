using CriShim.Containers.Specs;
using CriShim.Oci.Specs;
using Google.Protobuf;
using Runtime.V1;
using CriNamespaceMode = Runtime.V1.NamespaceMode;
using CriMount = Runtime.V1.Mount;
using CriPropagation = Runtime.V1.MountPropagation;
using OciNamespaceMode = CriShim.Oci.Specs.NamespaceMode;

namespace CriShim.Tests.Unit.Oci;

public class ContainerSpecMapperTests
{
    private static readonly ContainerSpecContext Context = new()
    {
        ContainerId = "c1", SandboxId = "s1", RootfsPath = "/var/lib/crishim/c1/rootfs",
        Namespaces = new PodNamespacePaths("/run/ns/net", "/run/ns/ipc", "/run/ns/uts", "/proc/42/ns/pid"),
        CgroupsPath = "/crishim/s1/c1",
        PodFiles = new PodFilePaths("/p/hostname", "/p/hosts", "/p/resolv.conf", "/p/shm"),
    };

    private static PodSandboxConfig Sandbox() => new()
    {
        Metadata = new PodSandboxMetadata { Name = "pod", Namespace = "default", Uid = "u1" },
        Hostname = "pod-host",
        Linux = new LinuxPodSandboxConfig
        {
            Sysctls = { ["net.ipv4.ip_unprivileged_port_start"] = "0", ["kernel.shmmax"] = "1000" },
            SecurityContext = new LinuxSandboxSecurityContext(),
        },
    };

    private static ContainerConfig Config() => new()
    {
        Metadata = new ContainerMetadata { Name = "web" },
        Image = new ImageSpec { Image = "busybox:latest" },
        Command = { "/bin/sh" },
        Args = { "-c", "id" },
        WorkingDir = "/w",
        Envs = { new KeyValue { Key = "A", Value = ByteString.CopyFromUtf8("1") } },
        Mounts = { new CriMount { ContainerPath = "/data", HostPath = "/srv/data", Readonly = true, Propagation = CriPropagation.PropagationHostToContainer } },
        Devices = { new Device { ContainerPath = "/dev/fuse", HostPath = "/dev/fuse", Permissions = "rw" } },
        Tty = true,
        Stdin = true,
        Linux = new LinuxContainerConfig
        {
            Resources = new LinuxContainerResources
            {
                CpuShares = 256, CpuQuota = 20000, CpuPeriod = 100000, MemoryLimitInBytes = 1 << 26, OomScoreAdj = 100,
                CpusetCpus = "0-1", HugepageLimits = { new HugepageLimit { PageSize = "2MB", Limit = 0 } },
            },
            SecurityContext = new LinuxContainerSecurityContext
            {
                Capabilities = new Capability { AddCapabilities = { "NET_ADMIN" }, DropCapabilities = { "KILL" } },
                RunAsUser = new Int64Value { Value = 1000 },
                RunAsGroup = new Int64Value { Value = 100 },
                SupplementalGroups = { 5 },
                ReadonlyRootfs = true,
                NoNewPrivs = true,
                Seccomp = new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault },
            },
        },
    };

    [Test]
    public void Every_cri_field_lands_in_the_spec_input()
    {
        var input = ContainerSpecMapper.Map(Config(), Sandbox(), new ImageDefaults { Cmd = ["sh"] }, Context);
        Assert.That((input.ContainerId, input.ContainerName, input.SandboxId, input.SandboxName, input.SandboxNamespace, input.SandboxUid),
            Is.EqualTo(("c1", "web", "s1", "pod", "default", "u1")));
        Assert.That(input.ImageName, Is.EqualTo("busybox:latest"));
        Assert.That(input.Command, Is.EqualTo(new[] { "/bin/sh" }));
        Assert.That(input.Args, Is.EqualTo(new[] { "-c", "id" }));
        Assert.That(input.Env, Is.EqualTo(new[] { KeyValuePair.Create("A", "1") }));
        Assert.That((input.WorkingDir, input.Tty, input.Stdin, input.Hostname), Is.EqualTo(("/w", true, true, "pod-host")));
        Assert.That(input.Mounts.Single(), Is.EqualTo(new MountInput("/data", "/srv/data", true, CriShim.Oci.Specs.MountPropagation.HostToContainer)));
        Assert.That(input.Devices.Single(), Is.EqualTo(new DeviceInput("/dev/fuse", "/dev/fuse", "rw")));
        Assert.That(input.Security.AddCapabilities, Is.EqualTo(new[] { "NET_ADMIN" }));
        Assert.That(input.Security.DropCapabilities, Is.EqualTo(new[] { "KILL" }));
        Assert.That((input.Security.RunAsUser, input.Security.RunAsGroup), Is.EqualTo(((long?)1000, (long?)100)));
        Assert.That(input.Security.SupplementalGroups, Is.EqualTo(new long[] { 5 }));
        Assert.That((input.Security.ReadonlyRootfs, input.Security.NoNewPrivileges), Is.EqualTo((true, true)));
        Assert.That(input.Security.Seccomp, Is.EqualTo(SeccompInput.RuntimeDefault));
        Assert.That(input.Security.MaskedPaths, Is.Null);
        Assert.That((input.Resources.CpuShares, input.Resources.CpuQuota, input.Resources.CpuPeriod, input.Resources.MemoryLimitBytes, input.Resources.OomScoreAdj),
            Is.EqualTo((256L, 20000L, 100000L, 1L << 26, 100L)));
        Assert.That(input.Resources.CpusetCpus, Is.EqualTo("0-1"));
        Assert.That(input.Resources.Hugepages.Single(), Is.EqualTo(new HugepageInput("2MB", 0)));
        Assert.That(input.Sysctls, Is.EquivalentTo(new Dictionary<string, string> { ["net.ipv4.ip_unprivileged_port_start"] = "0", ["kernel.shmmax"] = "1000" }));
        Assert.That((input.CgroupsPath, input.PodFiles), Is.EqualTo((Context.CgroupsPath, Context.PodFiles)));
    }

    [Test]
    public void Pod_namespaces_are_joined_by_path()
    {
        var ns = ContainerSpecMapper.Map(Config(), Sandbox(), ImageDefaults.None, Context).Namespaces;
        Assert.That(ns.Network, Is.EqualTo(NamespaceRef.Join("/run/ns/net")));
        Assert.That(ns.Ipc, Is.EqualTo(NamespaceRef.Join("/run/ns/ipc")));
        Assert.That(ns.Uts, Is.EqualTo(NamespaceRef.Join("/run/ns/uts")));
        Assert.That(ns.Pid, Is.EqualTo(NamespaceRef.Join("/proc/42/ns/pid")));
    }

    [Test]
    public void Container_pid_namespace_is_new_and_node_namespaces_are_the_hosts()
    {
        var config = Config();
        config.Linux.SecurityContext.NamespaceOptions = new NamespaceOption
        {
            Network = CriNamespaceMode.Node, Ipc = CriNamespaceMode.Node, Pid = CriNamespaceMode.Container,
        };
        var sandbox = Sandbox();
        sandbox.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Network = CriNamespaceMode.Node, Ipc = CriNamespaceMode.Node };
        var input = ContainerSpecMapper.Map(config, sandbox, ImageDefaults.None, Context);
        Assert.That(input.Namespaces.Network.Mode, Is.EqualTo(OciNamespaceMode.Host));
        Assert.That(input.Namespaces.Uts.Mode, Is.EqualTo(OciNamespaceMode.Host));
        Assert.That(input.Namespaces.Ipc.Mode, Is.EqualTo(OciNamespaceMode.Host));
        Assert.That(input.Namespaces.Pid, Is.EqualTo(NamespaceRef.New));
        Assert.That(input.Hostname, Is.Null);
        Assert.That(input.Sysctls, Is.Empty, "net.* and IPC sysctls would change the host");
    }

    [TestCase("network", CriNamespaceMode.Node, CriNamespaceMode.Pod, CriNamespaceMode.Pod)]
    [TestCase("ipc", CriNamespaceMode.Pod, CriNamespaceMode.Node, CriNamespaceMode.Pod)]
    [TestCase("pid", CriNamespaceMode.Pod, CriNamespaceMode.Pod, CriNamespaceMode.Node)]
    public void A_container_cannot_take_a_host_namespace_its_pod_does_not_have(string field, CriNamespaceMode network, CriNamespaceMode ipc, CriNamespaceMode pid)
    {
        var config = Config();
        config.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Network = network, Ipc = ipc, Pid = pid };
        Assert.That(() => ContainerSpecMapper.Map(config, Sandbox(), ImageDefaults.None, Context),
            Throws.TypeOf<SpecException>().With.Message.Contains("namespace_options." + field));
    }

    [Test]
    public void A_container_joins_the_pods_network_and_ipc_whatever_it_asks_and_keeps_its_pid_choice()
    {
        var config = Config();
        config.Linux.SecurityContext.NamespaceOptions = new NamespaceOption
        {
            Network = CriNamespaceMode.Container, Ipc = CriNamespaceMode.Container, Pid = CriNamespaceMode.Container,
        };
        var input = ContainerSpecMapper.Map(config, Sandbox(), ImageDefaults.None, Context);
        Assert.That(input.Namespaces.Network, Is.EqualTo(NamespaceRef.Join("/run/ns/net")));
        Assert.That(input.Namespaces.Ipc, Is.EqualTo(NamespaceRef.Join("/run/ns/ipc")));
        Assert.That(input.Namespaces.Uts, Is.EqualTo(NamespaceRef.Join("/run/ns/uts")));
        Assert.That(input.Namespaces.Pid, Is.EqualTo(NamespaceRef.New));
    }

    [Test]
    public void A_host_pid_pod_lets_its_containers_use_the_host_pid_namespace()
    {
        var config = Config();
        config.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Pid = CriNamespaceMode.Node };
        var sandbox = Sandbox();
        sandbox.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Pid = CriNamespaceMode.Node };
        Assert.That(ContainerSpecMapper.Map(config, sandbox, ImageDefaults.None, Context).Namespaces.Pid, Is.EqualTo(NamespaceRef.Host));
    }

    [Test]
    public void Target_pid_namespace_without_a_target_id_is_refused()
    {
        var config = Config();
        config.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Pid = CriNamespaceMode.Target };
        Assert.That(() => ContainerSpecMapper.Map(config, Sandbox(), ImageDefaults.None, Context with { TargetPidNamespacePath = "/proc/77/ns/pid" }),
            Throws.TypeOf<SpecException>().With.Message.Contains("target_id"));
    }

    [Test]
    public void Target_pid_namespace_needs_the_target()
    {
        var config = Config();
        config.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Pid = CriNamespaceMode.Target, TargetId = "other" };
        Assert.That(() => ContainerSpecMapper.Map(config, Sandbox(), ImageDefaults.None, Context), Throws.TypeOf<SpecException>().With.Message.Contains("other"));
        var input = ContainerSpecMapper.Map(config, Sandbox(), ImageDefaults.None, Context with { TargetPidNamespacePath = "/proc/77/ns/pid" });
        Assert.That(input.Namespaces.Pid, Is.EqualTo(NamespaceRef.Join("/proc/77/ns/pid")));
    }

    [Test]
    public void Missing_metadata_is_an_argument_error()
    {
        var config = Config();
        config.Metadata = null;
        Assert.That(() => ContainerSpecMapper.Map(config, Sandbox(), ImageDefaults.None, Context),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("metadata"));
        var sandbox = Sandbox();
        sandbox.Metadata = null;
        Assert.That(() => ContainerSpecMapper.Map(Config(), sandbox, ImageDefaults.None, Context), Throws.InstanceOf<ArgumentException>());
    }

    [Test]
    public void A_privileged_container_needs_a_privileged_sandbox()
    {
        var config = Config();
        config.Linux.SecurityContext.Privileged = true;
        Assert.Throws<SpecException>(() => ContainerSpecMapper.Map(config, Sandbox(), ImageDefaults.None, Context));
        var sandbox = Sandbox();
        sandbox.Linux.SecurityContext.Privileged = true;
        Assert.That(ContainerSpecMapper.Map(config, sandbox, ImageDefaults.None, Context).Security.Privileged, Is.True);
    }

    [TestCase(SecurityProfile.Types.ProfileType.Unconfined, "", SeccompKind.Unconfined, null)]
    [TestCase(SecurityProfile.Types.ProfileType.RuntimeDefault, "", SeccompKind.RuntimeDefault, null)]
    [TestCase(SecurityProfile.Types.ProfileType.Localhost, "/etc/seccomp/p.json", SeccompKind.Localhost, "/etc/seccomp/p.json")]
    public void Seccomp_profiles_map(SecurityProfile.Types.ProfileType type, string reference, SeccompKind kind, string? path)
    {
        Assert.That(ContainerSpecMapper.Seccomp(new SecurityProfile { ProfileType = type, LocalhostRef = reference }, null),
            Is.EqualTo(new SeccompInput(kind, path)));
    }

    [TestCase("", SeccompKind.Unconfined, null)] // nothing asked: unconfined, as containerd 1.6 (critest "seccomp default which is unconfined")
    [TestCase("runtime/default", SeccompKind.RuntimeDefault, null)]
    [TestCase("docker/default", SeccompKind.RuntimeDefault, null)]
    [TestCase("unconfined", SeccompKind.Unconfined, null)]
    [TestCase("localhost//etc/p.json", SeccompKind.Localhost, "/etc/p.json")]
    public void Deprecated_seccomp_paths_map(string deprecated, SeccompKind kind, string? path)
    {
        Assert.That(ContainerSpecMapper.Seccomp(null, deprecated), Is.EqualTo(new SeccompInput(kind, path)));
    }

    [Test]
    public void Relative_localhost_seccomp_references_are_refused()
    {
        Assert.Throws<SpecException>(() => ContainerSpecMapper.Seccomp(
            new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.Localhost, LocalhostRef = "p.json" }, null));
    }

    [Test]
    public void An_image_volume_binds_its_stacked_directory_read_only()
    {
        var mount = new CriMount { ContainerPath = "/img", Image = new ImageSpec { Image = "busybox" }, Propagation = CriPropagation.PropagationBidirectional };
        var input = ContainerSpecMapper.MapMount(mount, new Dictionary<string, string> { ["/img"] = "/run/crishim/containers/c1/volumes/0" });
        Assert.That(input, Is.EqualTo(new MountInput("/img", "/run/crishim/containers/c1/volumes/0", true, CriShim.Oci.Specs.MountPropagation.Private)));
    }

    [Test]
    public void An_image_volume_that_was_not_mounted_is_refused()
    {
        var mount = new CriMount { ContainerPath = "/img", Image = new ImageSpec { Image = "busybox" } };
        Assert.That(() => ContainerSpecMapper.MapMount(mount), Throws.TypeOf<SpecException>().With.Message.Contains("/img").And.Message.Contains("not mounted"));
    }

    [Test]
    public void An_id_mapped_mount_binds_its_prepared_clone_keeping_its_mode()
    {
        var mount = new CriMount { ContainerPath = "/data", HostPath = "/var/lib/kubelet/pods/x/volumes/v", Readonly = true };
        mount.UidMappings.Add(new IDMapping { ContainerId = 0, HostId = 100000, Length = 65536 });
        var input = ContainerSpecMapper.MapMount(mount, new Dictionary<string, string> { ["/data"] = "/run/crishim/containers/c1/idmapped/0" });
        Assert.That((input.HostPath, input.Readonly), Is.EqualTo(("/run/crishim/containers/c1/idmapped/0", true)));
        Assert.That(() => ContainerSpecMapper.MapMount(mount), Throws.TypeOf<SpecException>().With.Message.Contains("/data").And.Message.Contains("user namespace"));
    }

    [Test]
    public void The_infra_spec_creates_the_pod_pid_namespace()
    {
        var input = ContainerSpecMapper.MapSandbox(Sandbox(), new SandboxSpecContext
        {
            SandboxId = "s1", RootfsPath = "/r", Args = ["/pause"],
            Namespaces = new PodNamespacePaths("/run/ns/net", "/run/ns/ipc", "/run/ns/uts"),
        });
        Assert.That(input.Namespaces.Pid, Is.EqualTo(NamespaceRef.New));
        Assert.That(input.Namespaces.Network, Is.EqualTo(NamespaceRef.Join("/run/ns/net")));
        Assert.That((input.SandboxName, input.Hostname), Is.EqualTo(("pod", "pod-host")));
    }

    [Test]
    public void A_mapped_request_generates_a_spec_end_to_end()
    {
        using var dir = new TempDir();
        dir.Write("rootfs/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        var config = Config();
        config.Mounts[0].HostPath = dir.Combine("data");
        config.Linux.SecurityContext.RunAsUser = null;
        config.Linux.SecurityContext.RunAsGroup = null;
        var input = ContainerSpecMapper.Map(config, Sandbox(), ImageDefaults.None, Context with { RootfsPath = dir.Combine("rootfs") });
        var spec = new ContainerSpecGenerator(new FakeHost()).Generate(input);
        Assert.That(spec.Process!.Args, Is.EqualTo(new[] { "/bin/sh", "-c", "id" }));
        Assert.That(spec.Process.Capabilities!.Bounding, Does.Contain("CAP_NET_ADMIN").And.Not.Contain("CAP_KILL"));
        Assert.That(spec.Linux!.RootfsPropagation, Is.EqualTo("rslave"));
        Assert.That(spec.Process.User.AdditionalGids, Is.EqualTo(new uint[] { 0, 5 }));
    }
}

public class ContainerSpecMapperNamespaceTests
{
    [Test]
    public void Pod_files_input_comes_from_the_sandbox_dns_and_hostname()
    {
        var sandbox = new PodSandboxConfig
        {
            Hostname = "h",
            DnsConfig = new DNSConfig { Servers = { "10.96.0.10" }, Searches = { "svc" }, Options = { "ndots:5" } },
            Linux = new LinuxPodSandboxConfig { SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = new NamespaceOption { Network = CriNamespaceMode.Node } } },
        };
        var input = ContainerSpecMapper.PodFiles(sandbox, ["10.0.0.2"]);
        Assert.That((input.Hostname, input.HostNetwork), Is.EqualTo(("h", true)));
        Assert.That(CriShim.Oci.Pod.PodFiles.RenderResolvConf(input.Dns!), Is.EqualTo("search svc\nnameserver 10.96.0.10\noptions ndots:5\n"));
        Assert.That(input.PodIps, Is.EqualTo(new[] { "10.0.0.2" }));
    }

    static NamespaceOption PodUserNamespace(uint hostId = 100000) => new()
    {
        UsernsOptions = new UserNamespace
        {
            Mode = CriNamespaceMode.Pod,
            Uids = { new IDMapping { HostId = hostId, ContainerId = 0, Length = 65536 } },
            Gids = { new IDMapping { HostId = hostId, ContainerId = 0, Length = 65536 } },
        },
    };

    [Test]
    public void Containers_join_the_pods_user_namespace_with_its_mappings()
    {
        var user = new UserNamespaceInput("/run/ns/p/user", [new(0, 100000, 65536)], [new(0, 100000, 65536)]);
        var ns = ContainerSpecMapper.Namespaces(PodUserNamespace(), new PodNamespacePaths("/run/ns/p/net", User: user), null);
        Assert.That(ns.User, Is.EqualTo(user));
        var spec = SpecOptions.WithNamespaces(ns)(new CriShim.Oci.Specs.Model.Spec());
        Assert.That(spec.Linux!.Namespaces, Does.Contain(new CriShim.Oci.Specs.Model.LinuxNamespace("user", "/run/ns/p/user")));
        Assert.That(spec.Linux.UidMappings, Is.EqualTo(new[] { new CriShim.Oci.Specs.Model.IdMapping(0, 100000, 65536) }));
        Assert.That(spec.Linux.GidMappings, Is.EqualTo(spec.Linux.UidMappings));
    }

    [Test]
    public void A_user_namespace_mode_pod_without_a_pinned_namespace_is_refused()
    {
        Assert.That(() => ContainerSpecMapper.Namespaces(PodUserNamespace(), new PodNamespacePaths(), null),
            Throws.TypeOf<SpecException>().With.Message.Contains("no user namespace"));
    }

    [TestCase(CriNamespaceMode.Target, "TARGET")]
    [TestCase(CriNamespaceMode.Container, "CONTAINER")]
    public void User_namespace_modes_other_than_pod_and_node_are_refused_by_name(CriNamespaceMode mode, string name)
    {
        var options = PodUserNamespace();
        options.UsernsOptions.Mode = mode;
        Assert.That(() => ContainerSpecMapper.PodUserNamespace(new PodSandboxConfig { Linux = new LinuxPodSandboxConfig { SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = options } } }),
            Throws.TypeOf<SpecException>().With.Message.Contains(name).And.Message.Contains("userns_options"));
        Assert.That(() => ContainerSpecMapper.Namespaces(options, new PodNamespacePaths(), null), Throws.TypeOf<SpecException>().With.Message.Contains(name));
    }

    [Test]
    public void User_namespace_mode_node_means_the_hosts()
    {
        var options = PodUserNamespace();
        options.UsernsOptions.Mode = CriNamespaceMode.Node;
        Assert.That(ContainerSpecMapper.Namespaces(options, new PodNamespacePaths(), null).User, Is.Null);
        Assert.That(ContainerSpecMapper.PodUserNamespace(new PodSandboxConfig { Linux = new LinuxPodSandboxConfig { SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = options } } }), Is.Null);
    }

    [TestCase("network")]
    [TestCase("pid")]
    [TestCase("ipc")]
    public void A_pod_user_namespace_with_a_host_namespace_is_refused(string which)
    {
        var options = PodUserNamespace();
        if (which == "network") options.Network = CriNamespaceMode.Node;
        if (which == "pid") options.Pid = CriNamespaceMode.Node;
        if (which == "ipc") options.Ipc = CriNamespaceMode.Node;
        var sandbox = new PodSandboxConfig { Linux = new LinuxPodSandboxConfig { SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = options } } };
        Assert.That(() => ContainerSpecMapper.PodUserNamespace(sandbox), Throws.TypeOf<SpecException>().With.Message.Contains($"namespace_options.{which} is NODE"));
    }

    [Test]
    public void A_pod_user_namespace_yields_its_validated_mappings()
    {
        var sandbox = new PodSandboxConfig { Linux = new LinuxPodSandboxConfig { SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = PodUserNamespace(196608) } } };
        var mappings = ContainerSpecMapper.PodUserNamespace(sandbox)!;
        Assert.That(mappings.Uids, Is.EqualTo(new[] { new CriShim.Oci.Specs.Model.IdMapping(0, 196608, 65536) }));
        Assert.That(ContainerSpecMapper.PodUserNamespaceInput(sandbox, "/run/ns/p/user")!.Path, Is.EqualTo("/run/ns/p/user"));
        Assert.That(ContainerSpecMapper.PodUserNamespaceInput(sandbox, null), Is.Null);
    }
}
