using System.Formats.Tar;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Security.Cryptography;
using CriShim.Images;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Unit.Images;

/// <summary>A layer unpacked while it downloads: committed only once both sides succeeded, nothing left otherwise.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class StreamedLayerTests
{
    readonly ImagePaths _paths = new(Path.Combine("/tmp", $"crishim-streamed-{Guid.NewGuid():N}", "images"));
    readonly LayerStore _store;

    public StreamedLayerTests()
    {
        Directory.CreateDirectory(_paths.Temp);
        _store = new LayerStore(_paths, NullLogger<LayerStore>.Instance);
    }

    [TearDown]
    public void Remove() => Directory.Delete(Path.GetDirectoryName(_paths.Base)!, recursive: true);

    static byte[] Tar(params (string Name, int Size)[] files)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, size) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(RandomNumberGenerator.GetBytes(size)) });
        return buffer.ToArray();
    }

    static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return buffer.ToArray();
    }

    static string DiffIdOf(byte[] tar) => Digest.FromHash(SHA256.HashData(tar)).ToString();

    /// <summary>Writes the blob to the unpacker in 64 KiB pieces, as the download does.</summary>
    static async Task SendAsync(PipeWriter unpacker, byte[] blob, CancellationToken ct)
    {
        for (var offset = 0; offset < blob.Length; offset += 1 << 16)
            await unpacker.WriteAsync(blob.AsMemory(offset, Math.Min(1 << 16, blob.Length - offset)), ct);
    }

    void AssertNoLayerAndNoTemp(string diffId)
    {
        Assert.That(_store.Contains(diffId), Is.False, "no layer is committed");
        Assert.That(Directory.GetFileSystemEntries(_paths.Temp), Is.Empty, "the unpack directory is removed");
    }

    [Test]
    public async Task UnpackWhileDownloading_OfAGzipLayer_CommitsTheLayerOnlyAfterTheDownloadHasEnded()
    {
        var tar = Tar(("big", 3 << 20), ("small", 10));
        var diffId = DiffIdOf(tar);
        var committedBeforeTheEnd = true;

        var dir = await _store.UnpackWhileDownloadingAsync(diffId, "sha256:blob", async (unpacker, ct) =>
        {
            await SendAsync(unpacker, Gzip(tar), ct);
            await Task.Delay(200, ct); // the unpacker has had every byte: it must still wait for the verdict
            committedBeforeTheEnd = _store.Contains(diffId);
        }, CancellationToken.None);

        Assert.That(committedBeforeTheEnd, Is.False);
        Assert.That(dir, Is.EqualTo(_store.DirectoryOf(diffId)));
        Assert.That(new FileInfo(Path.Combine(dir, "big")).Length, Is.EqualTo(3 << 20));
        Assert.That(Directory.GetFileSystemEntries(_paths.Temp), Is.Empty);
    }

    [Test]
    public void UnpackWhileDownloading_WhenTheBlobDigestDoesNotMatchAtTheEnd_KeepsNoLayerAndReportsTheDownloadsError()
    {
        var tar = Tar(("a", 100_000));
        var diffId = DiffIdOf(tar);

        var e = Assert.ThrowsAsync<ImageException>(() => _store.UnpackWhileDownloadingAsync(diffId, "sha256:blob", async (unpacker, ct) =>
        {
            await SendAsync(unpacker, tar, ct);
            throw new ImageException(ImageErrorKind.Corrupt, "blob sha256:blob has digest sha256:other");
        }, CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Corrupt));
        Assert.That(e.Message, Does.Contain("has digest sha256:other"));
        AssertNoLayerAndNoTemp(diffId);
    }

    [Test]
    public void UnpackWhileDownloading_WhenTheUnpackerRefusesTheLayer_CancelsTheDownload()
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "../escape") { DataStream = new MemoryStream([1]) });
        var hostile = buffer.ToArray();
        var diffId = DiffIdOf(hostile);
        var downloadCancelled = false;

        var e = Assert.ThrowsAsync<ImageException>(() => _store.UnpackWhileDownloadingAsync(diffId, "sha256:blob", async (unpacker, ct) =>
        {
            try
            {
                await SendAsync(unpacker, hostile, ct);
                await Task.Delay(TimeSpan.FromSeconds(30), ct); // a download with much more to come
            }
            catch (OperationCanceledException) { downloadCancelled = true; throw; }
        }, CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Unsafe));
        Assert.That(downloadCancelled, "the download stopped as soon as the layer was refused");
        AssertNoLayerAndNoTemp(diffId);
    }

    [Test]
    public void UnpackWhileDownloading_WhenTheDiffIdDiffers_IsCorruptAndKeepsNoLayer()
    {
        var tar = Tar(("a", 10));
        var claimed = "sha256:" + new string('d', 64);

        var e = Assert.ThrowsAsync<ImageException>(() => _store.UnpackWhileDownloadingAsync(claimed, "sha256:blob",
            (unpacker, ct) => SendAsync(unpacker, tar, ct), CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Corrupt));
        Assert.That(e.Message, Does.Contain("the image config says"));
        AssertNoLayerAndNoTemp(claimed);
    }
}
