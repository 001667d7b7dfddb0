using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using CriShim.Images;
using Microsoft.Extensions.Logging.Abstractions;
using Mono.Unix.Native;

namespace CriShim.Tests.Unit.Images;

/// <summary>Unpacking layer tars: content and metadata kept, overlay whiteouts translated, hostile archives refused.</summary>
public sealed class LayerUnpackerTests
{
    string _dir = null!;
    string Target => Path.Combine(_dir, "layer");

    [SetUp]
    public void CreateDir()
    {
        _dir = Path.Combine("/tmp", $"crishim-unpack-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void RemoveDir()
    {
        // a hostile layer that got through could have replaced the directory itself
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        else if (Syscall.lstat(_dir, out _) == 0) System.IO.File.Delete(_dir);
    }

    static byte[] Tar(params TarEntry[] entries)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var entry in entries) writer.WriteEntry(entry);
        return buffer.ToArray();
    }

    static PaxTarEntry File(string name, string content, UnixFileMode mode = (UnixFileMode)0b110_100_100, int uid = 0, int gid = 0) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = mode, Uid = uid, Gid = gid,
            ModificationTime = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero) };

    static PaxTarEntry Dir(string name, UnixFileMode mode = (UnixFileMode)0b111_101_101) =>
        new(TarEntryType.Directory, name) { Mode = mode, ModificationTime = new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero) };

    static PaxTarEntry Link(TarEntryType type, string name, string target) => new(type, name) { LinkName = target };

    async Task<Digest> UnpackAsync(byte[] tar) => await LayerUnpacker.UnpackAsync(new MemoryStream(tar), Target, CancellationToken.None);

    [Test]
    public async Task Unpack_KeepsContentOwnersModesTimesAndLinks()
    {
        var tar = Tar(Dir("bin/"), File("bin/tool", "#!/bin/sh\n", (UnixFileMode)0b111_101_101 | UnixFileMode.SetUser, uid: 1000, gid: 50),
            Link(TarEntryType.SymbolicLink, "bin/sh", "tool"), Link(TarEntryType.HardLink, "bin/again", "bin/tool"),
            Link(TarEntryType.SymbolicLink, "abs", "/etc/passwd"),
            new PaxTarEntry(TarEntryType.CharacterDevice, "dev/null") { DeviceMajor = 1, DeviceMinor = 3, Mode = (UnixFileMode)0b110_110_110 },
            new PaxTarEntry(TarEntryType.Fifo, "pipe") { Mode = (UnixFileMode)0b110_000_000 });

        var diffId = await UnpackAsync(tar);

        Assert.That(diffId, Is.EqualTo(Digest.FromHash(SHA256.HashData(tar))), "the diff ID is the sha256 of the whole tar");
        var tool = Path.Combine(Target, "bin", "tool");
        Assert.That(System.IO.File.ReadAllText(tool), Is.EqualTo("#!/bin/sh\n"));
        Assert.That(Syscall.lstat(tool, out var st), Is.Zero);
        Assert.That((st.st_uid, st.st_gid), Is.EqualTo((1000u, 50u)));
        Assert.That((uint)st.st_mode & 0xfff, Is.EqualTo(0b100_111_101_101u), "setuid survives the chown");
        Assert.That(st.st_nlink, Is.EqualTo(2UL), "the hard link shares the inode");
        Assert.That(System.IO.File.GetLastWriteTimeUtc(tool), Is.EqualTo(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc)));
        Assert.That(Directory.GetLastWriteTimeUtc(Path.Combine(Target, "bin")), Is.EqualTo(new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
            "directory times are set after their content");
        Assert.That(new FileInfo(Path.Combine(Target, "bin", "sh")).LinkTarget, Is.EqualTo("tool"));
        Assert.That(new FileInfo(Path.Combine(Target, "abs")).LinkTarget, Is.EqualTo("/etc/passwd"), "a symlink target is only text");
        Assert.That(Syscall.lstat(Path.Combine(Target, "dev", "null"), out var dev), Is.Zero);
        Assert.That(dev.st_mode & FilePermissions.S_IFMT, Is.EqualTo(FilePermissions.S_IFCHR));
        Assert.That(dev.st_rdev, Is.EqualTo(LayerUnpacker.MakeDev(1, 3)));
        Assert.That(Syscall.lstat(Path.Combine(Target, "pipe"), out var fifo), Is.Zero);
        Assert.That(fifo.st_mode & FilePermissions.S_IFMT, Is.EqualTo(FilePermissions.S_IFIFO));
    }

    [Test]
    public async Task Unpack_TranslatesWhiteoutsToCharDevicesAndOpaqueMarkersToXattrs()
    {
        await UnpackAsync(Tar(Dir("data/"), File("data/.wh.gone", ""), Dir("data/old/"), File("data/old/.wh..wh..opq", ""), File("data/old/b", "b")));

        Assert.That(Syscall.lstat(Path.Combine(Target, "data", "gone"), out var whiteout), Is.Zero);
        Assert.That(whiteout.st_mode & FilePermissions.S_IFMT, Is.EqualTo(FilePermissions.S_IFCHR));
        Assert.That(whiteout.st_rdev, Is.Zero);
        Assert.That(System.IO.File.Exists(Path.Combine(Target, "data", ".wh.gone")), Is.False);
        var value = new byte[4];
        var length = Syscall.lgetxattr(Path.Combine(Target, "data", "old"), "trusted.overlay.opaque", value);
        Assert.That(Encoding.ASCII.GetString(value, 0, (int)Math.Max(0, length)), Is.EqualTo("y"));
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(Target, "data", "old")).Select(Path.GetFileName), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public async Task Unpack_OfGzipAndZstdLayers_GivesTheDiffIdOfTheUncompressedTar()
    {
        var tar = Tar(File("hello", "world"));
        using var gz = new MemoryStream();
        await using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar);
        using var zstd = new ZstdSharp.Compressor();
        var zst = zstd.Wrap(tar).ToArray();

        foreach (var compressed in new[] { gz.ToArray(), zst })
        {
            if (Directory.Exists(Target)) Directory.Delete(Target, recursive: true);
            var diffId = await UnpackAsync(compressed);
            Assert.That(diffId, Is.EqualTo(Digest.FromHash(SHA256.HashData(tar))));
            Assert.That(System.IO.File.ReadAllText(Path.Combine(Target, "hello")), Is.EqualTo("world"));
        }
    }

    static IEnumerable<TestCaseData> HostileLayers()
    {
        yield return new TestCaseData((object)new TarEntry[] { File("../escape", "x") }).SetName("Unpack_WithDotDotPath_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { File("a/../../escape", "x") }).SetName("Unpack_WithDotDotInsidePath_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { File("/tmp/escape", "x") }).SetName("Unpack_WithAbsolutePath_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { Link(TarEntryType.SymbolicLink, "evil", "/"), File("evil/tmp/escape", "x") })
            .SetName("Unpack_WithFileThroughSymlinkToRoot_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { Link(TarEntryType.SymbolicLink, "evil", "../.."), Dir("evil/x/") })
            .SetName("Unpack_WithDirectoryThroughRelativeSymlink_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { Link(TarEntryType.HardLink, "passwd", "../../etc/passwd") })
            .SetName("Unpack_WithHardLinkOutside_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { Link(TarEntryType.HardLink, "passwd", "/etc/passwd") })
            .SetName("Unpack_WithAbsoluteHardLink_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { Link(TarEntryType.SymbolicLink, "etc", "/etc"), Link(TarEntryType.HardLink, "passwd", "etc/passwd") })
            .SetName("Unpack_WithHardLinkThroughSymlink_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { Link(TarEntryType.SymbolicLink, "evil", "/tmp"), File("evil/.wh.victim", "") })
            .SetName("Unpack_WithWhiteoutThroughSymlink_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { File(".wh..", "") }).SetName("Unpack_WithWhiteoutOfDot_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { File(".wh...", "") }).SetName("Unpack_WithWhiteoutOfDotDot_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { Dir("dir/"), File("dir/.wh...", "") }).SetName("Unpack_WithWhiteoutOfDotDotInADirectory_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { Dir("dir/"), File("dir/.wh..", "") }).SetName("Unpack_WithWhiteoutOfDotInADirectory_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { Dir("a/"), File("a/x", "x"), Link(TarEntryType.SymbolicLink, "a", "/tmp"), File("a/escape", "x") })
            .SetName("Unpack_WithADirectoryReplacedBySymlinkAfterItsFiles_IsRefusedBelowIt");
        yield return new TestCaseData((object)new TarEntry[] { File("b/c/x", "x"), Link(TarEntryType.SymbolicLink, "b", "/tmp"), File("b/c/escape", "x") })
            .SetName("Unpack_WithAnImplicitParentReplacedBySymlink_IsRefusedBelowIt");
        yield return new TestCaseData((object)new TarEntry[] { Dir("h/"), File("h/x", "x"), Link(TarEntryType.SymbolicLink, "h", "/etc"), Link(TarEntryType.HardLink, "passwd", "h/passwd") })
            .SetName("Unpack_WithAHardLinkThroughADirectoryReplacedBySymlink_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { Dir("w/"), File("w/x", "x"), File(".wh.w", ""), Link(TarEntryType.SymbolicLink, "w", "/tmp"), File("w/escape", "x") })
            .SetName("Unpack_WithAWhitedOutDirectoryReplacedBySymlink_IsRefusedBelowIt");
        yield return new TestCaseData((object)new TarEntry[] { File("./", "x") }).SetName("Unpack_WithAFileReplacingTheRoot_IsRefused");
        yield return new TestCaseData((object)new TarEntry[] { Link(TarEntryType.SymbolicLink, ".", "/") }).SetName("Unpack_WithASymlinkReplacingTheRoot_IsRefused");
    }

    [TestCaseSource(nameof(HostileLayers))]
    public void Unpack_OfHostileLayer_FailsAsUnsafeAndWritesNothingOutside(TarEntry[] entries)
    {
        var outside = Path.Combine(_dir, "outside-marker");
        var sibling = Path.Combine(_dir, "sibling");
        Directory.CreateDirectory(sibling);
        var e = Assert.ThrowsAsync<ImageException>(() => UnpackAsync(Tar(entries)));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Unsafe));
        Assert.That(e.Message, Does.StartWith("unsafe layer"));
        Assert.That(System.IO.File.Exists("/tmp/escape"), Is.False);
        Assert.That(System.IO.File.Exists(outside), Is.False);
        Assert.That(Directory.Exists(sibling), "nothing beside the layer is deleted");
        Assert.That(Directory.Exists(Target), "the layer root itself is not replaced");
        Assert.That(Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "layer", "sibling" }));
    }

    [Test]
    public async Task LayerStore_WithHostileLayer_LeavesNoLayerAndNoTempFiles()
    {
        var paths = new ImagePaths(Path.Combine(_dir, "images"));
        Directory.CreateDirectory(paths.Temp);
        var store = new LayerStore(paths, NullLogger<LayerStore>.Instance);
        var blob = Path.Combine(_dir, "blob");
        var tar = Tar(File("ok", "fine"), Link(TarEntryType.SymbolicLink, "evil", "/"), File("evil/tmp/escape", "x"));
        await System.IO.File.WriteAllBytesAsync(blob, tar);
        var diffId = Digest.FromHash(SHA256.HashData(tar)).ToString();

        var e = Assert.ThrowsAsync<ImageException>(() => store.EnsureAsync(diffId, blob, CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Unsafe));
        Assert.That(store.Contains(diffId), Is.False);
        Assert.That(Directory.GetFileSystemEntries(paths.Temp), Is.Empty);
    }

    [Test]
    public async Task LayerStore_WithWrongDiffId_FailsAsCorruptAndKeepsNothing()
    {
        var paths = new ImagePaths(Path.Combine(_dir, "images"));
        Directory.CreateDirectory(paths.Temp);
        var store = new LayerStore(paths, NullLogger<LayerStore>.Instance);
        var blob = Path.Combine(_dir, "blob");
        await System.IO.File.WriteAllBytesAsync(blob, Tar(File("ok", "fine")));
        var claimed = "sha256:" + new string('c', 64);

        var e = Assert.ThrowsAsync<ImageException>(() => store.EnsureAsync(claimed, blob, CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Corrupt));
        Assert.That(store.Contains(claimed), Is.False);
        Assert.That(Directory.GetFileSystemEntries(paths.Temp), Is.Empty);
    }

    [Test]
    public async Task Unpack_OfEntriesReplacingEarlierOnes_KeepsTheLaterOnes()
    {
        var tar = Tar(File("f", "one"), File("f", "two"), Dir("d/"), File("d/x", "x"), File("d", "flat"),
            Link(TarEntryType.SymbolicLink, "s", "f"), Dir("s/"), File("s/inside", "in"));

        await UnpackAsync(tar);

        Assert.That(System.IO.File.ReadAllText(Path.Combine(Target, "f")), Is.EqualTo("two"));
        Assert.That(System.IO.File.ReadAllText(Path.Combine(Target, "d")), Is.EqualTo("flat"), "a file replaces the directory and what it held");
        Assert.That(Syscall.lstat(Path.Combine(Target, "s"), out var st), Is.Zero);
        Assert.That(st.st_mode & FilePermissions.S_IFMT, Is.EqualTo(FilePermissions.S_IFDIR), "a directory replaces the symlink");
        Assert.That(System.IO.File.ReadAllText(Path.Combine(Target, "s", "inside")), Is.EqualTo("in"));
    }

    [Test]
    public void Unpack_OfAFileBelowWhatBecameAFile_FailsAsCorrupt()
    {
        var e = Assert.ThrowsAsync<ImageException>(() => UnpackAsync(Tar(Dir("d/"), File("d/x", "x"), File("d", "flat"), File("d/y", "y"))));
        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Corrupt));
        Assert.That(e.Message, Does.Contain("is not a directory"));
    }

    [Test]
    public void Unpack_OfGarbage_FailsAsCorrupt()
    {
        var e = Assert.ThrowsAsync<ImageException>(() => UnpackAsync(Encoding.ASCII.GetBytes(new string('x', 2000))));
        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Corrupt));
    }

    [Test]
    public void Unpack_WithWhiteoutOfDotDot_NamesTheWhiteoutInItsError()
    {
        var e = Assert.ThrowsAsync<ImageException>(() => UnpackAsync(Tar(Dir("dir/"), File("dir/.wh...", ""))));

        Assert.That(e!.Message, Does.Contain("whiteout \"dir/.wh...\" hides \"..\""));
    }

    [Test]
    public void Unpack_OverTheByteLimit_IsTooLargeNamingTheOption()
    {
        var tar = Tar(File("big", new string('z', 100_000)));
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(tar);

        var e = Assert.ThrowsAsync<ImageException>(() =>
            LayerUnpacker.UnpackAsync(new MemoryStream(gz.ToArray()), Target, new LayerLimits(MaxBytes: 50_000, MaxEntries: 100), CancellationToken.None));

        Assert.That(gz.Length, Is.LessThan(50_000), "a small blob that unpacks big: the uncompressed size counts");
        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
        Assert.That(e.Message, Does.Contain("images.maxLayerBytes").And.Contain("50000 bytes"));
    }

    [Test]
    public void Unpack_WithMoreEntriesThanTheLimit_IsTooLargeNamingTheOption()
    {
        var tar = Tar(Enumerable.Range(0, 11).Select(i => (TarEntry)File($"f{i}", "x")).ToArray());

        var e = Assert.ThrowsAsync<ImageException>(() =>
            LayerUnpacker.UnpackAsync(new MemoryStream(tar), Target, new LayerLimits(MaxBytes: 1 << 30, MaxEntries: 10), CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
        Assert.That(e.Message, Does.Contain("more than 10 entries").And.Contain("images.maxLayerEntries"));
    }

    [Test]
    public async Task Unpack_AtTheEntryLimit_Succeeds()
    {
        var tar = Tar(Enumerable.Range(0, 10).Select(i => (TarEntry)File($"f{i}", "x")).ToArray());

        await LayerUnpacker.UnpackAsync(new MemoryStream(tar), Target, new LayerLimits(MaxBytes: 1 << 30, MaxEntries: 10), CancellationToken.None);

        Assert.That(Directory.GetFiles(Target).Select(Path.GetFileName), Is.EquivalentTo(Enumerable.Range(0, 10).Select(i => $"f{i}")));
    }

    [Test]
    public async Task LayerStore_OverTheConfiguredEntryLimit_LeavesNoLayerAndNoTempFiles()
    {
        var paths = new ImagePaths(Path.Combine(_dir, "images"));
        Directory.CreateDirectory(paths.Temp);
        var options = new CriShim.Config.CriShimOptions { Images = { MaxLayerEntries = 3 } };
        var store = new LayerStore(paths, NullLogger<LayerStore>.Instance, options);
        var blob = Path.Combine(_dir, "blob");
        var tar = Tar(Dir("d/"), File("d/a", "a"), File("d/b", "b"), File("d/c", "c"));
        await System.IO.File.WriteAllBytesAsync(blob, tar);
        var diffId = Digest.FromHash(SHA256.HashData(tar)).ToString();

        var e = Assert.ThrowsAsync<ImageException>(() => store.EnsureAsync(diffId, blob, CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
        Assert.That(store.Contains(diffId), Is.False);
        Assert.That(Directory.GetFileSystemEntries(paths.Temp), Is.Empty);
    }

    // VFS_CAP_REVISION_2 with the effective bit; permitted CAP_SETGID|CAP_SETUID (0xc0): not valid UTF-8
    static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    static byte[] Xattr(string path, string name)
    {
        var value = new byte[256];
        var length = Syscall.lgetxattr(path, name, value);
        return length < 0 ? [] : value[..(int)length];
    }

    [Test]
    public async Task Unpack_AppliesUserXattrsAndBinaryCapabilitiesButNoTrustedOrOtherNamespaces()
    {
        var tar = RawPaxTar.Of(("tool", "#!/bin/sh\n", new Dictionary<string, byte[]>
        {
            ["SCHILY.xattr.security.capability"] = Capability,
            ["SCHILY.xattr.user.note"] = "hello"u8.ToArray(),
            ["SCHILY.xattr.trusted.overlay.opaque"] = "y"u8.ToArray(),
            ["SCHILY.xattr.trusted.overlay.redirect"] = "/etc"u8.ToArray(),
            ["SCHILY.xattr.security.selinux"] = "system_u:object_r:bin_t:s0"u8.ToArray(),
        }));

        await UnpackAsync(tar);

        var tool = Path.Combine(Target, "tool");
        Assert.That(System.IO.File.ReadAllText(tool), Is.EqualTo("#!/bin/sh\n"));
        Assert.That(Xattr(tool, "security.capability"), Is.EqualTo(Capability), "the capability is applied byte for byte");
        Assert.That(Xattr(tool, "user.note"), Is.EqualTo("hello"u8.ToArray()));
        Assert.That(Xattr(tool, "trusted.overlay.opaque"), Is.Empty);
        Assert.That(Xattr(tool, "trusted.overlay.redirect"), Is.Empty);
        var selinux = Xattr(tool, "security.selinux");
        Assert.That(Encoding.UTF8.GetString(selinux), Does.Not.Contain("bin_t"));
    }

    [Test]
    public void Unpack_WithAPaxHeaderOverOneMebibyte_IsTooLargeBeforeItIsRead()
    {
        var tar = RawPaxTar.Of(("file", "x", new Dictionary<string, byte[]>
        {
            ["SCHILY.xattr.user.huge"] = Encoding.ASCII.GetBytes(new string('a', 2 << 20)),
        }));

        var e = Assert.ThrowsAsync<ImageException>(() => UnpackAsync(tar));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
        Assert.That(e.Message, Does.Contain("1 MiB (1048576 bytes), the limit on tar metadata headers"));
        Assert.That(System.IO.File.Exists(Path.Combine(Target, "file")), Is.False);
    }

    [Test]
    public async Task Unpack_WithAPaxHeaderUnderTheLimit_KeepsItsXattr()
    {
        var value = Encoding.ASCII.GetBytes(new string('a', 3000));
        var tar = RawPaxTar.Of(("file", "x", new Dictionary<string, byte[]> { ["SCHILY.xattr.user.long"] = value }));

        await UnpackAsync(tar);

        var read = new byte[8192];
        var length = Syscall.lgetxattr(Path.Combine(Target, "file"), "user.long", read);
        Assert.That(read[..(int)Math.Max(0, length)], Is.EqualTo(value));
    }

    [Test]
    public async Task Unpack_AfterALargeEntryItSkips_StillReadsTheNextEntrysBinaryCapability()
    {
        // the whiteout's 3 MiB of data are skipped, not unpacked: the raw header window must still end on the next entry
        var tar = RawPaxTar.Of(
            (".wh.gone", new string('w', 3 << 20), new Dictionary<string, byte[]>()),
            ("tool", "x", new Dictionary<string, byte[]> { ["SCHILY.xattr.security.capability"] = Capability }));

        await UnpackAsync(tar);

        Assert.That(Xattr(Path.Combine(Target, "tool"), "security.capability"), Is.EqualTo(Capability));
        Assert.That(Syscall.lstat(Path.Combine(Target, "gone"), out var whiteout), Is.Zero);
        Assert.That(whiteout.st_mode & FilePermissions.S_IFMT, Is.EqualTo(FilePermissions.S_IFCHR));
    }
}
