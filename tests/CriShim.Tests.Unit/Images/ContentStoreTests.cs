using System.Text;
using CriShim.Images;

namespace CriShim.Tests.Unit.Images;

/// <summary>Blobs are stored only when their size and digest match the descriptor.</summary>
public sealed class ContentStoreTests
{
    string _dir = null!;
    ContentStore _store = null!;

    [SetUp]
    public void Create()
    {
        _dir = Path.Combine("/tmp", $"crishim-content-{Guid.NewGuid():N}");
        _store = new ContentStore(new ImagePaths(_dir));
    }

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    static Descriptor Describe(byte[] content) => new() { Digest = Digest.Compute(content).ToString(), Size = content.Length };

    Task<string> Ingest(Descriptor descriptor, byte[] served) =>
        _store.IngestAsync(descriptor, (sink, ct) => sink.WriteAsync(served, ct).AsTask(), CancellationToken.None);

    [Test]
    public async Task Ingest_OfMatchingContent_StoresItUnderItsDigest()
    {
        var content = Encoding.UTF8.GetBytes("layer bytes");
        var path = await Ingest(Describe(content), content);

        Assert.That(path, Is.EqualTo(_store.PathOf(Digest.Compute(content))));
        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(content));
    }

    [Test]
    public void Ingest_OfOtherContentOfTheSameSize_FailsAsCorruptAndStoresNothing()
    {
        var descriptor = Describe(Encoding.UTF8.GetBytes("expected"));
        var e = Assert.ThrowsAsync<ImageException>(() => Ingest(descriptor, Encoding.UTF8.GetBytes("tampered")));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Corrupt));
        Assert.That(_store.Contains(Digest.Parse(descriptor.Digest)), Is.False);
        Assert.That(Directory.GetFiles(Path.Combine(_dir, "tmp")), Is.Empty);
    }

    [TestCase("longer than promised", ImageErrorKind.TooLarge, TestName = "Ingest_LongerThanItsDescriptor_FailsAsTooLarge")]
    [TestCase("short", ImageErrorKind.Corrupt, TestName = "Ingest_ShorterThanItsDescriptor_FailsAsCorrupt")]
    public void Ingest_OfWrongSize_FailsAndKeepsNothing(string served, ImageErrorKind kind)
    {
        var descriptor = Describe(Encoding.UTF8.GetBytes("expected!"));
        var e = Assert.ThrowsAsync<ImageException>(() => Ingest(descriptor, Encoding.UTF8.GetBytes(served)));
        Assert.That(e!.ImageKind, Is.EqualTo(kind));
        Assert.That(Directory.GetFiles(Path.Combine(_dir, "tmp")), Is.Empty);
    }

    [Test]
    public void Put_OfBytesNotMatchingTheDigest_FailsAsCorrupt()
    {
        var e = Assert.ThrowsAsync<ImageException>(() => _store.PutAsync(Digest.Compute("a"u8), "b"u8.ToArray(), CancellationToken.None));
        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Corrupt));
    }
}
