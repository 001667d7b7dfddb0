using System.Text;
using CriShim.Tests.Integration.Support;
using Grpc.Core;
using Mono.Unix.Native;
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
        Assert.That(Syscall.stat(Path.Combine(layers[0], "bin", "echo"), out var echo), Is.Zero);
        Assert.That(echo.st_nlink, Is.GreaterThan(10UL), "applets are hard links to /bin/busybox");
        Assert.That(File.ReadAllText(Path.Combine(layers[0], "etc", "passwd")), Does.Contain("www-data:x:33:33"));
        Assert.That(File.GetUnixFileMode(Path.Combine(layers[0], "tmp")), Is.EqualTo((UnixFileMode)0b1_111_111_111), "tmp keeps its sticky 1777 mode");
    }

    [Test]
    public async Task PullImage_ByDigest_RecordsTheDigestAndNoTag()
    {
        var byTag = await _daemon.PullAsync(Ref("crishim-test/sibling:latest"));
        var digest = (await _daemon.StatusAsync(byTag))!.RepoDigests.Single(d => d.StartsWith(Ref("crishim-test/sibling@")));
        await _daemon.RemoveAsync(byTag);

        var id = await _daemon.PullAsync(digest);

        Assert.That(id, Is.EqualTo(byTag));
        var image = await _daemon.StatusAsync(digest);
        Assert.That(image!.RepoTags, Is.Empty);
        Assert.That(image.RepoDigests, Is.EqualTo(new[] { digest }));
        Assert.That(await _daemon.StatusAsync(Ref("crishim-test/sibling:latest")), Is.Null, "a digest pull does not bring the tag back");
    }

    [Test]
    public async Task PullImage_OfMultiArchIndex_PicksThisMachinesPlatform()
    {
        var id = await _daemon.PullAsync(Ref("crishim-test/multiarch:latest"));

        var layers = await _daemon.LayerDirsAsync(id);
        Assert.That(layers.Any(l => File.Exists(Path.Combine(l, "WRONG-PLATFORM"))), Is.False);
        Assert.That(layers.Any(l => File.Exists(Path.Combine(l, "bin", "busybox"))), Is.True);
        // other tests' images share this config (same ID): look at this repository's digest
        var digest = (await _daemon.StatusAsync(id))!.RepoDigests.Single(d => d.StartsWith(Ref("crishim-test/multiarch@")));
        using var http = new HttpClient();
        var index = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(_registry.BaseUri, "v2/crishim-test/multiarch/manifests/latest"))
        { Headers = { { "Accept", "application/vnd.oci.image.index.v1+json" } } });
        Assert.That(digest, Does.EndWith("@" + index.Headers.GetValues("Docker-Content-Digest").Single()), "the repo digest is the index's");
    }

    [TestCase("crishim-test/zstd:latest", TestName = "PullImage_WithZstdLayers_UnpacksThem")]
    [TestCase("crishim-test/plain:latest", TestName = "PullImage_WithUncompressedLayers_UnpacksThem")]
    [TestCase("busybox:1.35", TestName = "PullImage_WithGzipLayers_UnpacksThem")]
    public async Task PullImage_WithEachLayerCompression_UnpacksBusybox(string name)
    {
        // a daemon of its own: these images share their layer, which another pull could have unpacked already
        await using var daemon = await DaemonProcess.StartAsync();

        var id = await daemon.PullAsync(Ref(name));

        var layers = await daemon.LayerDirsAsync(id);
        var busybox = Path.Combine(layers.Single(), "bin", "busybox");
        Assert.That(new FileInfo(busybox).Length, Is.EqualTo(new FileInfo("/bin/busybox").Length));
        Assert.That(File.GetUnixFileMode(busybox).HasFlag(UnixFileMode.UserExecute));
    }

    [Test]
    public async Task PullImage_WithWhiteoutAndOpaqueDir_StacksToTheImageFilesystem()
    {
        var id = await _daemon.PullAsync(Ref("crishim-test/multilayer:latest"));
        var layers = await _daemon.LayerDirsAsync(id);
        Assert.That(layers, Has.Count.EqualTo(3));

        var top = layers[2];
        Assert.That(Syscall.lstat(Path.Combine(top, "data", "gone"), out var whiteout), Is.Zero);
        Assert.That(whiteout.st_mode & FilePermissions.S_IFMT, Is.EqualTo(FilePermissions.S_IFCHR), "a whiteout is a character device");
        Assert.That(whiteout.st_rdev, Is.Zero, "with device number 0/0");
        var opaque = new byte[8];
        var length = Syscall.lgetxattr(Path.Combine(top, "data", "old"), "trusted.overlay.opaque", opaque);
        Assert.That(Encoding.ASCII.GetString(opaque, 0, (int)Math.Max(0, length)), Is.EqualTo("y"));

        var merged = TestPaths.NewTempDir("overlay");
        try
        {
            await ProcessRunner.RunAsync("mount", ["-t", "overlay", "overlay", "-o", "lowerdir=" + string.Join(':', layers.Reverse()), merged]);
            try
            {
                Assert.That(File.ReadAllText(Path.Combine(merged, "data", "keep")), Is.EqualTo("keep\n"));
                Assert.That(File.ReadAllText(Path.Combine(merged, "data", "new")), Is.EqualTo("new\n"));
                Assert.That(File.Exists(Path.Combine(merged, "data", "gone")), Is.False, "the whiteout hides the lower file");
                Assert.That(Directory.GetFileSystemEntries(Path.Combine(merged, "data", "old")).Select(Path.GetFileName),
                    Is.EqualTo(new[] { "b" }), "the opaque directory hides the lower content");
                Assert.That(File.Exists(Path.Combine(merged, "bin", "busybox")));
            }
            finally { await ProcessRunner.RunAsync("umount", [merged]); }
        }
        finally { Directory.Delete(merged); }
    }

    [Test]
    public async Task PullImage_ThroughDockerHubMirror_ServesDockerIoNames()
    {
        var id = await _daemon.PullAsync("busybox:1.35");

        var image = await _daemon.StatusAsync("docker.io/library/busybox:1.35");
        Assert.That(image!.Id, Is.EqualTo(id));
        Assert.That(image.RepoTags, Does.Contain("docker.io/library/busybox:1.35"));
        Assert.That(image.RepoDigests, Has.One.StartsWith("docker.io/library/busybox@sha256:"));
        Assert.That((await _daemon.StatusAsync("busybox:1.35"))!.Id, Is.EqualTo(id), "short names resolve like docker's");
    }

    [Test]
    public async Task PullImage_OfNonRootImage_ReportsUsernameAndConfig()
    {
        var id = await _daemon.PullAsync(Ref("crishim-test/nonroot:latest"));

        var image = await _daemon.StatusAsync(id);
        Assert.That(image!.Username, Is.EqualTo("www-data"));
        Assert.That(image.Uid, Is.Null);
        var verbose = await _daemon.VerboseStatusAsync(id);
        var spec = System.Text.Json.Nodes.JsonNode.Parse(verbose.Info["info"])!["imageSpec"]!;
        Assert.That(spec["config"]!["User"]!.GetValue<string>(), Is.EqualTo("www-data:33"));
        Assert.That(spec["config"]!["WorkingDir"]!.GetValue<string>(), Is.EqualTo("/home/www"));
        var layers = await _daemon.LayerDirsAsync(id);
        Assert.That(Syscall.stat(Path.Combine(layers[1], "home", "www"), out var home), Is.Zero);
        Assert.That((home.st_uid, home.st_gid), Is.EqualTo((33u, 33u)), "owners survive unpacking");
    }

    [TestCase("")]
    [TestCase("Busybox/UPPER")]
    [TestCase("busybox:bad tag")]
    [TestCase("busybox@sha256:1234")]
    [TestCase("http://example.com/busybox")]
    public async Task PullImage_WithMalformedReference_IsInvalidArgument(string reference)
    {
        Assert.That(await _daemon.PullFailureAsync(reference), Is.EqualTo(StatusCode.InvalidArgument));
    }

    [Test]
    public async Task PullImage_OfUnknownRepository_IsNotFoundAndTheDaemonKeepsServing()
    {
        Assert.That(await _daemon.PullFailureAsync(Ref("crishim-test/does-not-exist:1")), Is.EqualTo(StatusCode.NotFound));
        Assert.That(await _daemon.PullFailureAsync(Ref("busybox:no-such-tag")), Is.EqualTo(StatusCode.NotFound));

        Assert.That((await _daemon.Runtime.VersionAsync(new VersionRequest())).RuntimeName, Is.EqualTo("crishim"));
        Assert.That(await _daemon.PullAsync(Ref("busybox:1.35")), Does.StartWith("sha256:"));
    }

    [Test]
    public async Task PullImage_FromUnreachableRegistry_IsUnavailable()
    {
        var port = TestPaths.FreeTcpPort();
        Assert.That(await _daemon.PullFailureAsync($"127.0.0.1:{port}/busybox:1"), Is.EqualTo(StatusCode.Unavailable));
    }

    [Test]
    public async Task PullImage_ConcurrentlyOfOneImage_SharesTheWork()
    {
        await using var daemon = await DaemonProcess.StartAsync();

        var ids = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => daemon.PullAsync(Ref("crishim-test/multilayer:latest"))));

        Assert.That(ids.Distinct().Count(), Is.EqualTo(1));
        var images = await daemon.ListAsync();
        Assert.That(images.Select(i => i.Id), Is.EqualTo(new[] { ids[0] }), "one image, the one every pull answered");
        Assert.That(Directory.GetDirectories(Path.Combine(daemon.Root, "images", "layers")), Is.EquivalentTo(await daemon.LayerDirsAsync(ids[0])).And.Length.EqualTo(3),
            "each of its three layers unpacked once, and nothing else");
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(daemon.Root, "images", "tmp")), Is.Empty);
    }
}
