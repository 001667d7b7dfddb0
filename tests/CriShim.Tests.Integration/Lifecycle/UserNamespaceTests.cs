using System.Text.Json;
using CriShim.Tests.Integration.Images;
using CriShim.Tests.Integration.Support;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Lifecycle;

/// <summary>Pods in their own user namespace (Kubernetes hostUsers: false): userns_options mode POD.</summary>
[TestFixture]
public class UserNamespaceTests : LifecycleFixture
{
    // A 64 Ki range well away from host users, as kubelet hands them out (multiples of 65536).
    const uint HostBase = 15 * 65536;

    static void InUserNamespace(PodSandboxConfig config, NamespaceMode pid = NamespaceMode.Pod)
    {
        var ns = config.Linux.SecurityContext.NamespaceOptions;
        ns.Pid = pid;
        ns.UsernsOptions = new UserNamespace
        {
            Mode = NamespaceMode.Pod,
            Uids = { new IDMapping { ContainerId = 0, HostId = HostBase, Length = 65536 } },
            Gids = { new IDMapping { ContainerId = 0, HostId = HostBase, Length = 65536 } },
        };
    }

    async Task<int> HostPidOfAsync(string containerId)
    {
        var response = await Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId, Verbose = true });
        return JsonDocument.Parse(response.Info["info"]).RootElement.GetProperty("pid").GetInt32();
    }

    static async Task<string> HostAsync(string file, params string[] args) =>
        (await ProcessRunner.RunAsync(file, args, TimeSpan.FromSeconds(10))).Trim();

    [Test]
    public async Task AContainerOfAUserNamespacePod_IsRootInside_AndTheMappedUidOnTheHost()
    {
        var (pod, config) = await RunPodAsync(Unique("userns"), c => InUserNamespace(c));
        var c = await StartAsync(pod, config, ContainerConfig("root", "sleep", "1000"));

        Assert.That((await ExecTextAsync(c, "cat", "/proc/self/uid_map")).Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Is.EqualTo(new[] { "0", HostBase.ToString(), "65536\n" }));
        Assert.That((await ExecTextAsync(c, "cat", "/proc/self/gid_map")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], Is.EqualTo(HostBase.ToString()));
        Assert.That((await ExecTextAsync(c, "id", "-u")).Trim(), Is.EqualTo("0"));
        var pid = await HostPidOfAsync(c);
        Assert.That(await HostAsync("ps", "-o", "uid=", "-p", pid.ToString()), Is.EqualTo(HostBase.ToString()), "the host sees the container's root as");
        Assert.That(await HostAsync("readlink", $"/proc/{pid}/ns/user"), Is.Not.EqualTo(await HostAsync("readlink", "/proc/self/ns/user")));
    }

    [Test]
    public async Task TheRootfs_IsOwnedByRootInside_AndWritesLandOnDiskAsTheMappedIds()
    {
        var (pod, config) = await RunPodAsync(Unique("usfs"), c => InUserNamespace(c));
        var c = await StartAsync(pod, config, ContainerConfig("fs", "sleep", "1000"));

        Assert.That((await ExecTextAsync(c, "stat", "-c", "%u:%g", "/", "/bin/busybox", "/etc/passwd")).Split('\n', StringSplitOptions.RemoveEmptyEntries),
            Is.EqualTo(new[] { "0:0", "0:0", "0:0" }));
        await ExecTextAsync(c, "sh", "-c", "echo hi > /created && echo more >> /etc/passwd && mkdir -p /var/new && chown 1000:1000 /var/new");
        var upper = Path.Combine(Daemon.Root, "rw", c, "upper");
        Assert.That(await HostAsync("stat", "-c", "%u:%g", Path.Combine(upper, "created"), Path.Combine(upper, "etc", "passwd"), Path.Combine(upper, "var", "new")),
            Is.EqualTo($"{HostBase}:{HostBase}\n{HostBase}:{HostBase}\n{HostBase + 1000}:{HostBase + 1000}"));
        // The image's own layer stays owned by host root: it is idmapped, not chowned.
        Assert.That(await HostAsync("stat", "-c", "%u", LayerFile("bin/busybox")), Is.EqualTo("0"));
    }

    string LayerFile(string relative)
    {
        var layers = Directory.GetDirectories(Path.Combine(Daemon.Root, "images", "layers"));
        return layers.Select(l => Path.Combine(l, relative)).First(File.Exists);
    }

    // Prints its real and effective uid, tries to open argv[1] for writing, then sleeps argv[2] seconds (busybox
    // drops setuid for its ordinary applets, so the test brings a binary of its own).
    const string SetuidProbe = """
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            int fd = open(argv[1], O_WRONLY);
            printf("ruid=%d euid=%d open=%s\n", getuid(), geteuid(), fd < 0 ? strerror(errno) : "ok");
            fflush(stdout);
            if (argc > 2) sleep(atoi(argv[2]));
            return 0;
        }
        """;

    [Test]
    public async Task ASetuidBinaryInside_GivesContainerRoot_WhichIsNoHostRoot()
    {
        var shared = TestPaths.NewTempDir("userns-setuid");
        File.SetUnixFileMode(shared, (UnixFileMode)0x1FF);
        await File.WriteAllTextAsync(Path.Combine(shared, "probe.c"), SetuidProbe);
        await ProcessRunner.RunAsync("gcc", ["-static", "-o", Path.Combine(shared, "probe"), Path.Combine(shared, "probe.c")], TimeSpan.FromMinutes(1));
        var secret = Path.Combine(shared, "host-secret");
        await File.WriteAllTextAsync(secret, "host root only\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var (pod, config) = await RunPodAsync(Unique("ussuid"), c => InUserNamespace(c));
        var rootConfig = ContainerConfig("maker", "sleep", "1000");
        rootConfig.Mounts.Add(new Mount { ContainerPath = "/shared", HostPath = shared });
        var maker = await StartAsync(pod, config, rootConfig);
        await ExecTextAsync(maker, "sh", "-c", "cp /shared/probe /shared/suid && chmod 4755 /shared/suid");
        Assert.That(await ExecTextAsync(maker, "/shared/probe", "/shared/host-secret"), Does.Contain("euid=0 open=Permission denied"),
            "container root opened a file only host root may write");

        var userConfig = ContainerConfig("user", "sleep", "1000");
        userConfig.Mounts.Add(new Mount { ContainerPath = "/shared", HostPath = shared });
        userConfig.Linux.SecurityContext.RunAsUser = new Int64Value { Value = 1000 };
        var user = await StartAsync(pod, config, userConfig);
        Assert.That(await ExecTextAsync(user, "/shared/suid", "/shared/host-secret"), Does.Contain("ruid=1000 euid=0 open=Permission denied"),
            "the setuid binary runs as container root, and that is no host root");
        await ExecTextAsync(user, "sh", "-c", "/shared/suid /shared/host-secret 4242 >/dev/null 2>&1 &");
        var setuidPid = (await HostAsync("pgrep", "-f", "suid /shared/host-secret 4242")).Split('\n')[0];
        Assert.That(await HostAsync("ps", "-o", "ruid=,euid=", "-p", setuidPid), Does.Match($@"^{HostBase + 1000}\s+{HostBase}$"), "real and effective uid seen from the host");
        Assert.That(await HostAsync("stat", "-c", "%u", Path.Combine(shared, "suid")), Is.EqualTo(HostBase.ToString()));
        await ProcessRunner.RunAsync("kill", [setuidPid]);
        Directory.Delete(shared, true);
    }

    [Test]
    public async Task ASharedPidNamespace_AndAnImageVolume_WorkInAUserNamespacePod()
    {
        var registry = await TestRegistry.GetSharedAsync();
        var multilayer = $"{registry.Host}/crishim-test/multilayer:latest";
        await Daemon.PullAsync(multilayer);
        var (pod, config) = await RunPodAsync(Unique("uspid"), c => InUserNamespace(c, NamespaceMode.Pod));
        var first = ContainerConfig("first", "sleep", "1000");
        first.Mounts.Add(new Mount { ContainerPath = "/img", Image = new ImageSpec { Image = multilayer } });
        var a = await StartAsync(pod, config, first);
        var b = await StartAsync(pod, config, ContainerConfig("second", "sleep", "2000"));
        Assert.That(await ExecTextAsync(a, "ps"), Does.Contain("sleep 2000").And.Contain("/pause"), "the pod's PID namespace is not shared");
        Assert.That((await ExecTextAsync(a, "stat", "-c", "%u", "/img/data/keep")).Trim(), Is.EqualTo("0"), "the image volume's files belong to the pod root");
        Assert.That((await ExecTextAsync(a, "cat", "/img/data/keep")).Trim(), Is.EqualTo("keep"));
        Assert.That((await ExecTextAsync(b, "cat", "/proc/self/uid_map")), Does.Contain(HostBase.ToString()));
    }

    [Test]
    public async Task AVolumeWithThePodsMappings_IsIdmapped_SoHostRootFilesAreThePodRoots()
    {
        var volume = TestPaths.NewTempDir("userns-volume");
        await File.WriteAllTextAsync(Path.Combine(volume, "owned-by-host-root"), "data\n");
        var (pod, config) = await RunPodAsync(Unique("usvol"), c => InUserNamespace(c));
        var container = ContainerConfig("vol", "sleep", "1000");
        var mapped = new Mount { ContainerPath = "/mapped", HostPath = volume };
        mapped.UidMappings.Add(config.Linux.SecurityContext.NamespaceOptions.UsernsOptions.Uids);
        mapped.GidMappings.Add(config.Linux.SecurityContext.NamespaceOptions.UsernsOptions.Gids);
        container.Mounts.Add(mapped);
        container.Mounts.Add(new Mount { ContainerPath = "/plain", HostPath = volume });
        var c = await StartAsync(pod, config, container);

        Assert.That((await ExecTextAsync(c, "stat", "-c", "%u:%g", "/mapped/owned-by-host-root", "/plain/owned-by-host-root")).Split('\n')[..2],
            Is.EqualTo(new[] { "0:0", "65534:65534" }), "idmapped vs plain bind of the same directory");
        await ExecTextAsync(c, "sh", "-c", "echo written > /mapped/by-pod-root && chown 1000:1000 /mapped/by-pod-root");
        Assert.That(await HostAsync("stat", "-c", "%u:%g", Path.Combine(volume, "by-pod-root")), Is.EqualTo("1000:1000"), "through an idmapped mount, IDs land on disk unshifted");
        var staged = Path.Combine(Daemon.State, "containers", c, "idmapped");
        Assert.That(await File.ReadAllTextAsync("/proc/self/mountinfo"), Does.Contain(staged));

        await Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = c });
        await Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = c });
        Assert.That(await File.ReadAllTextAsync("/proc/self/mountinfo"), Does.Not.Contain(staged));
        Assert.That(File.Exists(Path.Combine(volume, "owned-by-host-root")), Is.True, "removing the container touched the volume");

        var otherMappings = ContainerConfig("other", "true");
        var wrong = new Mount { ContainerPath = "/wrong", HostPath = volume };
        wrong.UidMappings.Add(new IDMapping { ContainerId = 0, HostId = HostBase + 65536, Length = 65536 });
        otherMappings.Mounts.Add(wrong);
        var e = Assert.ThrowsAsync<RpcException>(() => CreateAsync(pod, config, otherMappings))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("/wrong").And.Contain("pod's user namespace mappings"));
        Directory.Delete(volume, true);
    }

    [Test]
    public async Task UserNamespaceModeTarget_AndHostNetworkWithAUserNamespace_AreRefusedWithClearMessages()
    {
        var target = PodConfig(Unique("ustgt"), c =>
        {
            InUserNamespace(c);
            c.Linux.SecurityContext.NamespaceOptions.UsernsOptions.Mode = NamespaceMode.Target;
        });
        var e = Assert.ThrowsAsync<RpcException>(() => Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = target }).ResponseAsync)!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("userns_options").And.Contain("TARGET"));

        var hostNet = PodConfig(Unique("ushost"), c =>
        {
            InUserNamespace(c);
            c.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Node;
        });
        e = Assert.ThrowsAsync<RpcException>(() => Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = hostNet }).ResponseAsync)!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("network"));

        var hostRoot = PodConfig(Unique("usroot"), c =>
        {
            InUserNamespace(c);
            c.Linux.SecurityContext.NamespaceOptions.UsernsOptions.Uids[0].HostId = 0;
        });
        e = Assert.ThrowsAsync<RpcException>(() => Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = hostRoot }).ResponseAsync)!;
        Assert.That((e.StatusCode, e.Status.Detail), Is.EqualTo((StatusCode.InvalidArgument, e.Status.Detail)));
        Assert.That(e.Status.Detail, Does.Contain("host ID 0"));
        var pods = await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest());
        Assert.That(pods.Items.Select(p => p.Metadata.Name), Has.None.StartsWith("ustgt").And.None.StartsWith("ushost").And.None.StartsWith("usroot"));
    }

    [Test]
    public async Task AUserNamespacePod_KeepsItsUserNamespaceAcrossADaemonRestart()
    {
        var (pod, config) = await RunPodAsync(Unique("usrs"), c => InUserNamespace(c));
        var before = await StartAsync(pod, config, ContainerConfig("before", "sleep", "1000"));
        await Daemon.RestartAsync();
        var after = await StartAsync(pod, config, ContainerConfig("after", "sleep", "1000"));
        Assert.That(await HostAsync("readlink", $"/proc/{await HostPidOfAsync(after)}/ns/user"),
            Is.EqualTo(await HostAsync("readlink", $"/proc/{await HostPidOfAsync(before)}/ns/user")));
        Assert.That((await ExecTextAsync(after, "stat", "-c", "%u", "/bin/busybox")).Trim(), Is.EqualTo("0"));
    }

    [Test]
    public async Task RemovingAContainer_NeverDeletesThroughAMountACrashLeftBelowItsBundle()
    {
        var (pod, config) = await RunPodAsync(Unique("usleft"), c => InUserNamespace(c));
        var c = await CreateAsync(pod, config, ContainerConfig("left", "true"));
        // What a daemon killed between cloning a layer and stacking the overlay leaves: a mount in the staging dir.
        var precious = TestPaths.NewTempDir("userns-layer");
        await File.WriteAllTextAsync(Path.Combine(precious, "layer-file"), "shared by every image using the layer");
        var leftover = Path.Combine(Daemon.State, "containers", c, "idmap", "0");
        Directory.CreateDirectory(leftover);
        await ProcessRunner.RunAsync("mount", ["--bind", precious, leftover]);

        await Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = c });
        Assert.That(File.Exists(Path.Combine(precious, "layer-file")), Is.True, "the teardown deleted files through a leftover mount");
        Assert.That(await File.ReadAllTextAsync("/proc/self/mountinfo"), Does.Not.Contain(leftover));
        Assert.That(Directory.Exists(Path.Combine(Daemon.State, "containers", c)), Is.False);
        Directory.Delete(precious, true);
    }

    [Test]
    public async Task Status_ReportsUserNamespaceSupportForRunc()
    {
        var status = await Runtime.StatusAsync(new StatusRequest());
        Assert.That(status.RuntimeHandlers.Single(h => h.Name == "").Features.UserNamespaces, Is.True);
        Assert.That(status.RuntimeHandlers.Single(h => h.Name == "runc").Features.UserNamespaces, Is.True);
    }

    [Test]
    public async Task RemovingAUserNamespacePod_LeavesNoPinsOrMounts()
    {
        var (pod, config) = await RunPodAsync(Unique("usrm"), c => InUserNamespace(c));
        var c = await StartAsync(pod, config, ContainerConfig("c", "sleep", "1000"));
        Assert.That(NsPinned(pod, "user"), Is.True);
        await Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod });
        await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod });
        var mounts = await File.ReadAllTextAsync("/proc/self/mountinfo");
        Assert.That(mounts, Does.Not.Contain(pod).And.Not.Contain(c));
        Assert.That(Directory.Exists(Path.Combine(Daemon.State, "ns", pod)), Is.False);
    }

    bool NsPinned(string pod, string kind) =>
        File.ReadAllText("/proc/self/mountinfo").Contains(Path.Combine(Daemon.State, "ns", pod, kind));
}
