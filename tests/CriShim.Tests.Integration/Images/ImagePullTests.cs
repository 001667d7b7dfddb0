using CriShim.Tests.Integration.Support;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Images;

/// <summary>PullImage through the real daemon against the real test registry.</summary>
[TestFixture]
public sealed class ImagePullTests
{
    TestRegistry _registry = null!;
    DaemonProcess _daemon = null!;

    [OneTimeSetUp]
    public async Task StartDaemon() => (_registry, _daemon) = await ImageTestSupport.StartDaemonAsync();

    [OneTimeTearDown]
    public async Task StopDaemon() => await _daemon.DisposeAsync();

    string Ref(string name) => $"{_registry.Host}/{name}";

    [Test]
    public async Task PullImage_ByTag_RecordsTagDigestSizeAndUnpackedBusybox()
    {
        var id = await _daemon.PullAsync(Ref("busybox:1.35"));

        var image = await _daemon.StatusAsync(Ref("busybox:1.35"));
        Assert.That(image, Is.Not.Null);
        Assert.That(image!.Id, Is.EqualTo(id).And.StartsWith("sha256:"));
        Assert.That(image.RepoTags, Is.EqualTo(new[] { Ref("busybox:1.35") }));
        Assert.That(image.RepoDigests, Has.Count.EqualTo(1).And.All.StartsWith(Ref("busybox") + "@sha256:"));
        Assert.That(image.Size, Is.GreaterThan(500_000UL));
        var layers = await _daemon.LayerDirsAsync(image.Id);
        Assert.That(layers, Has.Count.EqualTo(1));
        Assert.That(File.Exists(Path.Combine(layers[0], "bin", "busybox")));
        Assert.That(new FileInfo(Path.Combine(layers[0], "bin", "sh")).LinkTarget, Is.EqualTo("busybox"));
        Assert.That(File.ReadAllText(Path.Combine(layers[0], "etc", "passwd")), Does.Contain("www-data:x:33:33"));
    }
}
