using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using CriShim.Config;
using CriShim.Images;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Unit.Images;

/// <summary>Whole pulls against the fake registry: hostile and over-size images leave nothing; shared pulls respect credentials.</summary>
public sealed class ImagePullerTests
{
    string _dir = null!;
    FakeRegistry _registry = null!;
    ImagePaths _paths = null!;
    ImageStore _images = null!;
    ImagePuller _puller = null!;

    [SetUp]
    public void Start()
    {
        _dir = Path.Combine("/tmp", $"crishim-puller-{Guid.NewGuid():N}");
        _registry = new FakeRegistry();
        UsePuller(new CriShimOptions());
    }

    [TearDown]
    public void Stop()
    {
        _registry.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    void UsePuller(CriShimOptions options)
    {
        _paths = new ImagePaths(Path.Combine(_dir, "images"));
        var content = new ContentStore(_paths);
        var layers = new LayerStore(_paths, NullLogger<LayerStore>.Instance, options);
        _images = new ImageStore(_paths, content, layers, [], NullLogger<ImageStore>.Instance);
        var client = new RegistryClient(new HttpClient(), new RegistryHosts(options),
            new PullTimeouts { RetryDelay = TimeSpan.FromMilliseconds(1), Request = TimeSpan.FromSeconds(10) }, NullLogger<RegistryClient>.Instance);
        _puller = new ImagePuller(client, content, layers, _images, NullLogger<ImagePuller>.Instance);
    }

    static byte[] Tar(params string[] files)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var name in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("x"u8.ToArray()) });
        return buffer.ToArray();
    }

    static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

    static object Descriptor(string mediaType, byte[] content, long? size = null) =>
        new { mediaType, digest = Digest.Compute(content).ToString(), size = size ?? content.Length };

    /// <summary>Serves an OCI image of one uncompressed layer; returns the layer blob's digest.</summary>
    string Push(string repository, string tag, byte[] layer, int configPadding = 0)
    {
        var config = Json(new
        {
            architecture = "amd64", os = "linux",
            config = new { Labels = new Dictionary<string, string> { ["pad"] = new string('p', configPadding) } },
            rootfs = new { type = "layers", diff_ids = new[] { Digest.Compute(layer).ToString() } },
        });
        var manifest = Json(new
        {
            schemaVersion = 2, mediaType = MediaTypes.OciManifest,
            config = Descriptor(MediaTypes.OciConfig, config),
            layers = new[] { Descriptor("application/vnd.oci.image.layer.v1.tar", layer) },
        });
        Serve(repository, tag, MediaTypes.OciManifest, manifest);
        Serve(repository, Digest.Compute(manifest).ToString(), MediaTypes.OciManifest, manifest);
        _registry.Content[$"/v2/{repository}/blobs/{Digest.Compute(config)}"] = ("application/octet-stream", config);
        _registry.Content[$"/v2/{repository}/blobs/{Digest.Compute(layer)}"] = ("application/octet-stream", layer);
        return Digest.Compute(layer).ToString();
    }

    /// <summary>Serves an OCI image of several uncompressed layers; returns the layer blob paths on the registry.</summary>
    string[] PushLayers(string repository, string tag, IReadOnlyList<byte[]> layers)
    {
        var config = Json(new
        {
            architecture = "amd64", os = "linux",
            rootfs = new { type = "layers", diff_ids = layers.Select(l => Digest.Compute(l).ToString()).ToArray() },
        });
        var manifest = Json(new
        {
            schemaVersion = 2, mediaType = MediaTypes.OciManifest,
            config = Descriptor(MediaTypes.OciConfig, config),
            layers = layers.Select(l => Descriptor("application/vnd.oci.image.layer.v1.tar", l)).ToArray(),
        });
        Serve(repository, tag, MediaTypes.OciManifest, manifest);
        _registry.Content[$"/v2/{repository}/blobs/{Digest.Compute(config)}"] = ("application/octet-stream", config);
        var paths = layers.Select(l => $"/v2/{repository}/blobs/{Digest.Compute(l)}").ToArray();
        for (var i = 0; i < layers.Count; i++) _registry.Content[paths[i]] = ("application/octet-stream", layers[i]);
        return paths;
    }

    void Serve(string repository, string reference, string mediaType, byte[] body) =>
        _registry.Content[$"/v2/{repository}/manifests/{reference}"] = (mediaType, body);

    Task<ImageRecord> PullAsync(string name, RegistryCredentials? credentials = null) =>
        _puller.PullAsync($"{_registry.Host}/{name}", credentials, CancellationToken.None);

    string BlobPath(string digest) => Path.Combine(_paths.Blobs, "sha256", Digest.Parse(digest).Hex);

    [Test]
    public async Task Pull_OfALayerWhoseWhiteoutHidesDotDot_FailsAsUnsafeAndTheNextPullSucceeds()
    {
        var hostile = Push("hostile/app", "v1", Tar("ok", ".wh..."));
        Push("good/app", "v1", Tar("hello"));

        var e = Assert.ThrowsAsync<ImageException>(() => PullAsync("hostile/app:v1"));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Unsafe));
        Assert.That(Directory.Exists(_paths.Temp), "the pull temp directory survives");
        Assert.That(Directory.GetFileSystemEntries(_paths.Temp), Is.Empty);
        Assert.That(File.Exists(BlobPath(hostile)), Is.False, "the hostile layer blob is not kept");
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(_paths.Blobs, "sha256")), Is.Empty);
        var good = await PullAsync("good/app:v1");
        Assert.That(File.Exists(Path.Combine(_images.Get(good.Id)!.LayerDirs.Single(), "hello")));
    }

    [Test]
    public void Pull_WithAConfigOverTheLimit_IsTooLargeNamingItAndDownloadsNothingOfIt()
    {
        Push("big/config", "v1", Tar("a"), configPadding: ImageLimits.MaxConfigBytes);

        var e = Assert.ThrowsAsync<ImageException>(() => PullAsync("big/config:v1"));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
        Assert.That(e.Message, Does.Contain("8 MiB (8388608 bytes), the limit on image configs"));
        Assert.That(_registry.Requests.Where(r => r.Contains("/blobs/")), Is.Empty);
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(_paths.Blobs, "sha256")), Is.Empty);
    }

    [Test]
    public void Pull_OfAnIndexDeclaringAnOversizeManifest_IsTooLargeWithoutFetchingIt()
    {
        var child = Json(new { schemaVersion = 2, mediaType = MediaTypes.OciManifest });
        var index = Json(new
        {
            schemaVersion = 2, mediaType = MediaTypes.OciIndex,
            manifests = new[]
            {
                new { mediaType = MediaTypes.OciManifest, digest = Digest.Compute(child).ToString(), size = 5L << 20,
                    platform = new { os = PlatformMatcher.Host.Os, architecture = PlatformMatcher.Host.Architecture } },
            },
        });
        Serve("big/index", "v1", MediaTypes.OciIndex, index);

        var e = Assert.ThrowsAsync<ImageException>(() => PullAsync("big/index:v1"));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
        Assert.That(e.Message, Does.Contain("the limit on manifests and indexes"));
        Assert.That(_registry.Requests, Has.None.Contains(Digest.Compute(child).ToString()));
    }

    [Test]
    public void Pull_OfALayerOverTheConfiguredEntryLimit_LeavesNoLayerBlobTempOrImage()
    {
        UsePuller(new CriShimOptions { Images = { MaxLayerEntries = 2 } });
        var layer = Push("many/files", "v1", Tar("a", "b", "c"));

        var e = Assert.ThrowsAsync<ImageException>(() => PullAsync("many/files:v1"));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
        Assert.That(e.Message, Does.Contain("images.maxLayerEntries"));
        Assert.That(Directory.GetFileSystemEntries(_paths.Temp), Is.Empty);
        Assert.That(Directory.GetFileSystemEntries(_paths.Layers), Is.Empty);
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(_paths.Blobs, "sha256")), Is.Empty, "neither the layer blob nor the config is kept");
        Assert.That(_images.List(), Is.Empty);
    }

    void AssertNothingKept()
    {
        Assert.That(Directory.GetFileSystemEntries(_paths.Temp), Is.Empty, "no temp file or unpack directory is left");
        Assert.That(Directory.Exists(_paths.Layers) ? Directory.GetFileSystemEntries(_paths.Layers) : [], Is.Empty, "no layer is kept");
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(_paths.Blobs, "sha256")), Is.Empty, "no blob is kept");
        Assert.That(_images.List(), Is.Empty);
    }

    [Test]
    public void Pull_OfALayerWhoseBytesDoNotMatchItsDigest_IsCorruptAndLeavesNeitherBlobNorLayer()
    {
        var layer = Tar("a", "b");
        var path = PushLayers("tampered/app", "v1", [layer]).Single();
        var tampered = Tar("a", "c"); // same size, other bytes: a valid tar the unpacker takes in whole
        Assert.That(tampered, Has.Length.EqualTo(layer.Length));
        _registry.Content[path] = ("application/octet-stream", tampered);

        var e = Assert.ThrowsAsync<ImageException>(() => PullAsync("tampered/app:v1"));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Corrupt));
        Assert.That(e.Message, Does.Contain("content does not match its descriptor"));
        AssertNothingKept();
    }

    [Test]
    public async Task Pull_OfSixLayers_FetchesThreeAtATimeAndUnpacksEach()
    {
        var layers = Enumerable.Range(0, 6).Select(i => Tar($"file{i}")).ToList();
        PushLayers("six/app", "v1", layers);
        _registry.Delay = TimeSpan.FromMilliseconds(300);

        var image = await PullAsync("six/app:v1");

        Assert.That(_registry.MaxConcurrentBlobs, Is.EqualTo(3), "layers overlap, but never more than three");
        var dirs = _images.Get(image.Id)!.LayerDirs;
        Assert.That(dirs, Has.Count.EqualTo(6));
        for (var i = 0; i < 6; i++) Assert.That(File.Exists(Path.Combine(dirs[i], $"file{i}")), $"layer {i} is unpacked in its own directory");
        Assert.That(Directory.GetFileSystemEntries(_paths.Temp), Is.Empty);
    }

    [Test]
    public void Pull_WhereOneLayerIsHostile_StopsTheLayersStillDownloadingAndLeavesNothing()
    {
        var slow = Enumerable.Range(0, 3).Select(i => Tar($"big{i}", $"more{i}")).ToList();
        var paths = PushLayers("mixed/app", "v1", [Tar("ok", ".wh..."), .. slow]);
        foreach (var path in paths.Skip(1)) _registry.Trickle[path] = TimeSpan.FromSeconds(20);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var e = Assert.ThrowsAsync<ImageException>(() => PullAsync("mixed/app:v1"));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Unsafe));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "the slow layers were cancelled, not waited for");
        Assert.That(_registry.Requests.Count(r => r.Contains("/blobs/")), Is.GreaterThanOrEqualTo(3), "the slow layers had started");
        AssertNothingKept();
    }

    /// <summary>Two pulls of one private image at once, the second starting while the first waits on the registry.</summary>
    async Task<(Task<ImageRecord> First, Task<ImageRecord> Second)> PullConcurrentlyAsync(RegistryCredentials? first, RegistryCredentials? second)
    {
        Push("private/app", "v1", Tar("secret"));
        _registry.RequiredToken = "tok-private";
        _registry.TokenCredentials = ("alice", "s3cret");
        _registry.Delay = TimeSpan.FromMilliseconds(300);
        var firstPull = PullAsync("private/app:v1", first);
        await Task.Delay(100);
        var secondPull = PullAsync("private/app:v1", second);
        try { await Task.WhenAll(firstPull, secondPull); }
        catch (ImageException) { }
        return (firstPull, secondPull);
    }

    [Test]
    public async Task Pull_WithoutCredentials_DoesNotRideOnAConcurrentPullThatHasThem()
    {
        var (withCredentials, anonymous) = await PullConcurrentlyAsync(new RegistryCredentials("alice", "s3cret"), null);

        Assert.That(withCredentials.Status, Is.EqualTo(TaskStatus.RanToCompletion));
        Assert.That(anonymous.IsFaulted, "the anonymous pull is refused on its own");
        Assert.That(((ImageException)anonymous.Exception!.InnerException!).ImageKind, Is.EqualTo(ImageErrorKind.Unauthorized));
    }

    [Test]
    public async Task Pull_WithCredentials_DoesNotFailWithAConcurrentPullWithWrongOnes()
    {
        var (wrong, right) = await PullConcurrentlyAsync(new RegistryCredentials("alice", "wrong"), new RegistryCredentials("alice", "s3cret"));

        Assert.That(wrong.IsFaulted);
        Assert.That(((ImageException)wrong.Exception!.InnerException!).ImageKind, Is.EqualTo(ImageErrorKind.Unauthorized));
        Assert.That(right.Status, Is.EqualTo(TaskStatus.RanToCompletion), "the right credentials pull the image");
    }
}
