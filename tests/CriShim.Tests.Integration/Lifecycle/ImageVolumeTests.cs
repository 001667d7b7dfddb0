using CriShim.Tests.Integration.Images;
using CriShim.Tests.Integration.Support;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Lifecycle;

/// <summary>Image volumes (CRI Mount.image): a pulled image's layers mounted read-only into a container.</summary>
[TestFixture]
public class ImageVolumeTests : LifecycleFixture
{
    string _multilayer = null!;

    [OneTimeSetUp]
    public async Task PullTheVolumeImage()
    {
        var registry = await TestRegistry.GetSharedAsync();
        _multilayer = $"{registry.Host}/crishim-test/multilayer:latest";
        await Daemon.PullAsync(_multilayer);
    }

    ContainerConfig WithImageVolume(string name, string image, string containerPath, string subPath = "")
    {
        var config = ContainerConfig(name, "sleep", "1000");
        config.Mounts.Add(new Mount { ContainerPath = containerPath, Image = new ImageSpec { Image = image }, ImageSubPath = subPath });
        return config;
    }

    static string VolumesDirOf(string bundleRoot, string containerId) => Path.Combine(bundleRoot, "containers", containerId, "volumes");

    [Test]
    public async Task AnImageVolume_ShowsTheImagesMergedLayers_AndRefusesWrites()
    {
        var (pod, config) = await RunPodAsync(Unique("imgvol"));
        var c = await StartAsync(pod, config, WithImageVolume("reader", _multilayer, "/img"));

        Assert.That((await ExecTextAsync(c, "cat", "/img/data/keep", "/img/data/new", "/img/data/old/b")).Split('\n')[..3],
            Is.EqualTo(new[] { "keep", "new", "b" }));
        Assert.That((await ExecAsync(c, 10, "test", "-e", "/img/data/gone")).ExitCode, Is.Not.EqualTo(0), "a whited-out file is visible");
        Assert.That((await ExecAsync(c, 10, "test", "-e", "/img/data/old/a")).ExitCode, Is.Not.EqualTo(0), "a file under an opaque directory is visible");
        var write = await ExecAsync(c, 10, "sh", "-c", "echo x > /img/data/keep");
        Assert.That(write.ExitCode, Is.Not.EqualTo(0));
        Assert.That(write.Stderr.ToStringUtf8(), Does.Contain("Read-only file system"));
        var mkdir = await ExecAsync(c, 10, "mkdir", "/img/new-dir");
        Assert.That(mkdir.Stderr.ToStringUtf8(), Does.Contain("Read-only file system"));
        Assert.That((await ExecTextAsync(c, "cat", "/proc/self/mountinfo")).Split('\n').Single(l => l.Split(' ').ElementAtOrDefault(4) == "/img"),
            Does.Match(@"^\S+ \S+ \S+ \S+ /img ro[, ]"), "the volume's mount is not read-only");
    }

    [Test]
    public async Task AnImageSubPath_MountsOnlyThatDirectoryOfTheImage()
    {
        var (pod, config) = await RunPodAsync(Unique("imgsub"));
        var c = await StartAsync(pod, config, WithImageVolume("sub", _multilayer, "/sub", "data"));
        Assert.That((await ExecTextAsync(c, "ls", "/sub")).Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EquivalentTo(new[] { "keep", "new", "old" }));

        var missing = WithImageVolume("missing", _multilayer, "/sub", "no/such/dir");
        var e = Assert.ThrowsAsync<RpcException>(() => CreateAsync(pod, config, missing))!;
        Assert.That((e.StatusCode, e.Status.Detail), Is.EqualTo((StatusCode.NotFound, e.Status.Detail)));
        Assert.That(e.Status.Detail, Does.Contain("no/such/dir"));
        var escaping = WithImageVolume("escape", _multilayer, "/sub", "../etc");
        Assert.That(await CodeOf(() => CreateAsync(pod, config, escaping)), Is.EqualTo(StatusCode.InvalidArgument));
    }

    [Test]
    public async Task RemoveImage_IsRefusedWhileAVolumeUsesIt_AndAllowedOnceTheContainerIsGone()
    {
        var registry = await TestRegistry.GetSharedAsync();
        var sibling = $"{registry.Host}/crishim-test/sibling:latest";
        await Daemon.PullAsync(sibling);
        var (pod, config) = await RunPodAsync(Unique("imgrm"));
        var c = await StartAsync(pod, config, WithImageVolume("user", sibling, "/sib"));
        Assert.That((await ExecTextAsync(c, "cat", "/sib/sibling")).Trim(), Is.EqualTo("sibling"));
        var volumes = VolumesDirOf(Daemon.State, c);
        Assert.That(await File.ReadAllTextAsync("/proc/self/mountinfo"), Does.Contain(volumes));

        var refused = Assert.ThrowsAsync<RpcException>(() => Daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = sibling } }).ResponseAsync)!;
        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(refused.Status.Detail, Does.Contain(c));
        var status = await Daemon.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = sibling } });
        Assert.That(status.Image, Is.Not.Null, "the refused image is gone");
        Assert.That((await ExecTextAsync(c, "cat", "/sib/sibling")).Trim(), Is.EqualTo("sibling"));

        await Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = c });
        await Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = c });
        Assert.That(await File.ReadAllTextAsync("/proc/self/mountinfo"), Does.Not.Contain(volumes), "the volume is still mounted");
        Assert.That(Directory.Exists(volumes), Is.False);
        await Daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = sibling } });
        status = await Daemon.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = sibling } });
        Assert.That(status.Image, Is.Null);
    }

    [Test]
    public async Task AnImageVolumeOfAnImageNotPulled_IsNotFound_AndLeavesNothingBehind()
    {
        var (pod, config) = await RunPodAsync(Unique("imgnf"));
        var e = Assert.ThrowsAsync<RpcException>(() => CreateAsync(pod, config, WithImageVolume("nf", "docker.io/library/never-pulled:1", "/img")))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.NotFound));
        Assert.That(e.Status.Detail, Does.Contain("never-pulled").And.Contain("/img").And.Contain("pull"));
        var left = await Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = pod } });
        Assert.That(left.Containers, Is.Empty);
        var both = WithImageVolume("both", _multilayer, "/img");
        both.Mounts[0].HostPath = "/tmp";
        Assert.That(await CodeOf(() => CreateAsync(pod, config, both)), Is.EqualTo(StatusCode.InvalidArgument));
    }

    [Test]
    public async Task AnImageVolume_SurvivesADaemonRestart_AndIsUnmountedWhenItsContainerIsRemovedAfterwards()
    {
        var image = $"{(await TestRegistry.GetSharedAsync()).Host}/crishim-test/image-2:latest";
        await Daemon.PullAsync(image);
        var (pod, config) = await RunPodAsync(Unique("imgrs"));
        var c = await StartAsync(pod, config, WithImageVolume("restart", image, "/img"));
        var before = await ExecTextAsync(c, "ls", "/img");
        await Daemon.RestartAsync();
        Assert.That(await ExecTextAsync(c, "ls", "/img"), Is.EqualTo(before));
        Assert.That(await CodeOf(() => Daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = image } }).ResponseAsync),
            Is.EqualTo(StatusCode.FailedPrecondition), "the volume's image lost its protection across the restart");
        await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod });
        Assert.That(await File.ReadAllTextAsync("/proc/self/mountinfo"), Does.Not.Contain(VolumesDirOf(Daemon.State, c)));
    }

    [Test]
    public async Task AHalfCreatedContainerWithAnImageVolume_IsUnmountedAtRestart_AndItsImageFreed()
    {
        var image = $"{(await TestRegistry.GetSharedAsync()).Host}/crishim-test/image-3:latest";
        await Daemon.PullAsync(image);
        var (pod, config) = await RunPodAsync(Unique("imghalf"));
        var c = await CreateAsync(pod, config, WithImageVolume("half", image, "/img"));
        var record = Path.Combine(Daemon.Root, "containers", c + ".json");
        // What a crash between "record written" and "container complete" leaves: the record without its completion mark.
        var json = await File.ReadAllTextAsync(record);
        Assert.That(json, Does.Contain("\"complete\":true"));
        await File.WriteAllTextAsync(record, json.Replace("\"complete\":true", "\"complete\":false"));
        Daemon.Kill();
        await Daemon.RestartAsync();

        Assert.That(File.Exists(record), Is.False);
        Assert.That(await File.ReadAllTextAsync("/proc/self/mountinfo"), Does.Not.Contain(VolumesDirOf(Daemon.State, c)));
        await Daemon.Images.RemoveImageAsync(new RemoveImageRequest { Image = new ImageSpec { Image = image } });
        Assert.That((await Daemon.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = image } })).Image, Is.Null);
    }
}
