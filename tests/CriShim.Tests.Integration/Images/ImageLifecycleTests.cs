using CriShim.Tests.Integration.Support;
using Runtime.V1;

namespace CriShim.Tests.Integration.Images;

/// <summary>List, status, remove, filesystem info and persistence of pulled images, each test on a daemon of its own.</summary>
[TestFixture]
public sealed class ImageLifecycleTests
{
    TestRegistry _registry = null!;

    [OneTimeSetUp]
    public async Task GetRegistry() => _registry = await TestRegistry.GetSharedAsync();

    string Ref(string name) => $"{_registry.Host}/{name}";

    [Test]
    public async Task ImageStatus_OfNeverPulledImage_IsEmptyWithoutError()
    {
        await using var daemon = await DaemonProcess.StartAsync();

        Assert.That(await daemon.StatusAsync("busybox:never-pulled"), Is.Null);
        Assert.That(await daemon.StatusAsync("sha256:" + new string('a', 64)), Is.Null);
        Assert.That(await daemon.ListAsync(), Is.Empty);
    }

    [Test]
    public async Task ImageStatus_ByIdTagAndDigest_AnswersTheSameImage()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        var id = await daemon.PullAsync(Ref("crishim-test/sibling:latest"));

        var byTag = await daemon.StatusAsync(Ref("crishim-test/sibling:latest"));
        var byId = await daemon.StatusAsync(id);
        var byHex = await daemon.StatusAsync(id["sha256:".Length..]);
        var byDigest = await daemon.StatusAsync(byTag!.RepoDigests.Single());

        Assert.That(byId, Is.EqualTo(byTag));
        Assert.That(byHex, Is.EqualTo(byTag));
        Assert.That(byDigest, Is.EqualTo(byTag));
        Assert.That(byTag.Spec.Image, Is.EqualTo(id));
        Assert.That(byTag.Uid?.Value ?? 0, Is.Zero);
    }

    [Test]
    public async Task ListImages_ShowsEveryImageAndFiltersByReference()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        var busybox = await daemon.PullAsync(Ref("busybox:1.35"));
        var multilayer = await daemon.PullAsync(Ref("crishim-test/multilayer:latest"));

        var all = await daemon.ListAsync();
        var filtered = await daemon.ListAsync(Ref("crishim-test/multilayer"));

        Assert.That(all.Select(i => i.Id), Is.EquivalentTo(new[] { busybox, multilayer }));
        Assert.That(filtered.Select(i => i.Id), Is.EqualTo(new[] { multilayer }));
        Assert.That(await daemon.ListAsync(Ref("crishim-test/multilayer:other")), Is.Empty);
    }

    [Test]
    public async Task PullImage_WithTwoTagsOfOneImage_KeepsOneImageWithBothTags()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        var first = await daemon.PullAsync(Ref("busybox:1.35"));
        var second = await daemon.PullAsync(Ref("crishim-test/zstd:latest"));

        Assert.That(second, Is.EqualTo(first), "same config, same image ID");
        var image = (await daemon.ListAsync()).Single();
        Assert.That(image.RepoTags, Is.EquivalentTo(new[] { Ref("busybox:1.35"), Ref("crishim-test/zstd:latest") }));
    }

    [Test]
    public async Task RemoveImage_ByTagIdOrDigest_RemovesItAndItsFiles()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        foreach (var how in new[] { "tag", "id", "digest" })
        {
            var id = await daemon.PullAsync(Ref("crishim-test/multilayer:latest"));
            var image = await daemon.StatusAsync(id);
            var layers = await daemon.LayerDirsAsync(id);
            var name = how switch { "tag" => image!.RepoTags.Single(), "id" => id, _ => image!.RepoDigests.Single() };

            await daemon.RemoveAsync(name);

            Assert.That(await daemon.StatusAsync(id), Is.Null, $"removed by {how}");
            Assert.That(await daemon.ListAsync(), Is.Empty);
            Assert.That(layers.Where(Directory.Exists), Is.Empty, "no image uses the layers any more");
            Assert.That(Directory.GetFiles(Path.Combine(daemon.Root, "images", "blobs", "sha256")), Is.Empty);
        }
    }

    [Test]
    public async Task RemoveImage_OfUnknownImage_Succeeds()
    {
        await using var daemon = await DaemonProcess.StartAsync();

        await daemon.RemoveAsync("busybox:not-here");
        await daemon.RemoveAsync("sha256:" + new string('b', 64));

        Assert.That(await daemon.ListAsync(), Is.Empty);
    }

    [Test]
    public async Task RemoveImage_OfOneOfTwoImagesSharingALayer_KeepsTheSharedLayer()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        var busybox = await daemon.PullAsync(Ref("busybox:1.35"));
        var sibling = await daemon.PullAsync(Ref("crishim-test/sibling:latest"));
        var siblingLayers = await daemon.LayerDirsAsync(sibling);
        var shared = (await daemon.LayerDirsAsync(busybox)).Single();
        Assert.That(siblingLayers[0], Is.EqualTo(shared), "the base layer is stored once");

        await daemon.RemoveAsync(sibling);

        Assert.That(Directory.Exists(shared), Is.True);
        Assert.That(File.Exists(Path.Combine(shared, "bin", "busybox")), Is.True);
        Assert.That(Directory.Exists(siblingLayers[1]), Is.False, "the sibling's own layer is gone");
        Assert.That((await daemon.StatusAsync(Ref("busybox:1.35")))?.Id, Is.EqualTo(busybox), "the image sharing the layer stays");
    }

    [Test]
    public async Task ImageFsInfo_AfterAPull_ReportsBytesAndInodesOfTheImageStore()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        await daemon.PullAsync(Ref("busybox:1.35"));

        var info = await daemon.Images.ImageFsInfoAsync(new ImageFsInfoRequest());

        var fs = info.ImageFilesystems.Single();
        Assert.That(fs.UsedBytes.Value, Is.GreaterThan(1_000_000UL));
        Assert.That(fs.InodesUsed.Value, Is.GreaterThan(10UL));
        Assert.That(fs.FsId.Mountpoint, Does.StartWith(daemon.Root));
        Assert.That(fs.Timestamp, Is.GreaterThan(0));
    }

    [Test]
    public async Task Daemon_AfterRestart_KeepsPulledImages()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        var id = await daemon.PullAsync(Ref("crishim-test/multilayer:latest"));
        var before = await daemon.StatusAsync(id);

        await daemon.RestartAsync();

        Assert.That(await daemon.StatusAsync(Ref("crishim-test/multilayer:latest")), Is.EqualTo(before));
        Assert.That((await daemon.LayerDirsAsync(id)).All(Directory.Exists));
    }

    [Test]
    public async Task PullImage_AfterDaemonKilledMidPull_CompletesWithoutLeftovers()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        var interrupted = daemon.PullAsync(Ref("crishim-test/multilayer:latest"));
        await Task.Delay(40);
        daemon.Kill();
        try { await interrupted; } catch (Grpc.Core.RpcException) { } // whether it finished first depends on timing

        await daemon.RestartAsync();
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(daemon.Root, "images", "tmp")), Is.Empty, "half-done work is cleaned at start");
        var id = await daemon.PullAsync(Ref("crishim-test/multilayer:latest"));

        var layers = await daemon.LayerDirsAsync(id);
        Assert.That(layers, Has.Count.EqualTo(3));
        Assert.That(File.Exists(Path.Combine(layers[0], "bin", "busybox")));
        Assert.That(File.ReadAllText(Path.Combine(layers[1], "data", "keep")), Is.EqualTo("keep\n"));
    }
}
