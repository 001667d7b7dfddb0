using CriShim.Stores;

namespace CriShim.Tests.Unit.Stores;

/// <summary>Atomic replace: temp file, fsync, rename, then fsync of the directory holding the rename.</summary>
public sealed class AtomicFileTests
{
    string _dir = null!;

    [SetUp]
    public void Create() => _dir = Path.Combine("/tmp", $"crishim-atomic-{Guid.NewGuid():N}");

    [TearDown]
    public void Remove()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public async Task Write_ReplacesTheContent_AndLeavesOnlyTheFile()
    {
        var path = Path.Combine(_dir, "r.json");
        await AtomicFile.WriteAsync(path, "old"u8.ToArray());
        await AtomicFile.WriteAsync(path, "new"u8.ToArray());
        Assert.That(await File.ReadAllTextAsync(path), Is.EqualTo("new"));
        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { path }));
    }

    [Test]
    public void SyncDirectory_SyncsARealDirectory_AndReportsOneThatIsNot()
    {
        Directory.CreateDirectory(_dir);
        Assert.DoesNotThrow(() => AtomicFile.SyncDirectory(_dir));
        var file = Path.Combine(_dir, "f");
        File.WriteAllText(file, "x");
        // The directory is opened with O_DIRECTORY: a file or a missing path fails loudly instead of syncing nothing.
        Assert.Throws<IOException>(() => AtomicFile.SyncDirectory(file));
        Assert.Throws<IOException>(() => AtomicFile.SyncDirectory(Path.Combine(_dir, "missing")));
    }

    [Test]
    public async Task Delete_RemovesTheFileDurably()
    {
        var path = Path.Combine(_dir, "r.json");
        await AtomicFile.WriteAsync(path, "x"u8.ToArray());
        AtomicFile.Delete(path);
        Assert.That(File.Exists(path), Is.False);
    }
}
