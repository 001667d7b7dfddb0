using System.Runtime.Versioning;
using System.Text.Json;
using CriShim.Stores;

namespace CriShim.Tests.Unit.Stores;

/// <summary>Atomic replace: temp file, fsync, rename, then fsync of the directory holding the rename.</summary>
[SupportedOSPlatform("linux")]
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
    public async Task Write_CreatesTheMissingDirectory_AndTheFileOwnerOnly()
    {
        var path = Path.Combine(_dir, "nested", "r.json");
        await AtomicFile.WriteAsync(path, "secret"u8.ToArray());
        Assert.That(await File.ReadAllTextAsync(path), Is.EqualTo("secret"));
        // records carry pod and container configs, environment secrets included
        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public async Task ACancelledWrite_KeepsTheOldContent_AndLeavesNoTempFile()
    {
        var path = Path.Combine(_dir, "r.json");
        await AtomicFile.WriteAsync(path, "old"u8.ToArray());
        Assert.CatchAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(path, "new"u8.ToArray(), new CancellationToken(canceled: true)));
        Assert.That(await File.ReadAllTextAsync(path), Is.EqualTo("old"));
        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { path }));
    }

    [Test]
    public void AWriteWhoseRenameFails_Throws_AndLeavesNoTempFile()
    {
        var path = Path.Combine(_dir, "taken");
        Directory.CreateDirectory(path); // a directory where the file should go: the rename cannot replace it
        Assert.Catch<Exception>(() => AtomicFile.WriteAsync(path, "x"u8.ToArray()).GetAwaiter().GetResult());
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
        Assert.That(Directory.Exists(path), Is.True);
    }

    [Test]
    public async Task AReaderDuringReplacement_SeesTheOldOrTheNewContent_NeverAMix()
    {
        var path = Path.Combine(_dir, "big.json");
        var a = Enumerable.Repeat((byte)'a', 1 << 20).ToArray();
        var b = Enumerable.Repeat((byte)'b', 1 << 20).ToArray();
        await AtomicFile.WriteAsync(path, a);
        using var done = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            var reads = 0;
            while (!done.IsCancellationRequested || reads == 0)
            {
                var content = File.ReadAllBytes(path);
                Assert.That(content, Has.Length.EqualTo(1 << 20));
                Assert.That(content.All(c => c == content[0]), Is.True, "a torn read");
                reads++;
            }
            return reads;
        });
        for (var i = 0; i < 20; i++) await AtomicFile.WriteAsync(path, i % 2 == 0 ? b : a);
        done.Cancel();
        Assert.That(await reader, Is.GreaterThan(0));
        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(a));
    }

    sealed record Entry(string Name, int Size);

    [Test]
    public async Task ReadAll_ReturnsEveryRecord_DropsTempFiles_AndQuarantinesTheUnreadableOnce()
    {
        var json = JsonSerializerOptions.Default;
        await AtomicFile.WriteJsonAsync(Path.Combine(_dir, "one.json"), new Entry("one", 1), json);
        await AtomicFile.WriteJsonAsync(Path.Combine(_dir, "two.json"), new Entry("two", -2), json);
        await File.WriteAllTextAsync(Path.Combine(_dir, "torn.json"), "{\"Name\":\"to");
        await File.WriteAllTextAsync(Path.Combine(_dir, ".one.json.abc.tmp"), "{");
        var reported = new List<(string Path, Exception Error)>();

        var read = AtomicFile.ReadAll<Entry>(_dir, json, (p, e) => reported.Add((p, e)),
            validate: e => { if (e.Size < 0) throw new InvalidDataException("negative size"); }).ToList();

        Assert.That(read.Select(r => (Path.GetFileName(r.Path), r.Value)), Is.EqualTo(new[] { ("one.json", new Entry("one", 1)) }));
        Assert.That(reported.Select(r => (Path.GetRelativePath(_dir, r.Path), r.Error.GetType())), Is.EquivalentTo(new[]
        {
            (Path.Combine("corrupt", "torn.json"), typeof(JsonException)),
            (Path.Combine("corrupt", "two.json"), typeof(InvalidDataException)),
        }));
        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EqualTo(new[] { "one.json" }), "the temp file a crash left is gone");

        reported.Clear();
        Assert.That(AtomicFile.ReadAll<Entry>(_dir, json, (p, e) => reported.Add((p, e))).Select(r => r.Value.Name), Is.EqualTo(new[] { "one" }));
        Assert.That(reported, Is.Empty, "a quarantined record is not read, nor reported, again");
    }

    [Test]
    public void ReadAll_OfAMissingDirectory_IsEmpty()
    {
        Assert.That(AtomicFile.ReadAll<Entry>(_dir, JsonSerializerOptions.Default, (_, e) => Assert.Fail(e.Message)), Is.Empty);
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
