using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;
using CriShim.Tests.Integration.Support;
using Grpc.Core;
using Mono.Unix.Native;

namespace CriShim.Tests.Integration.Images;

/// <summary>Hostile and over-size images pushed to the real registry: the real daemon refuses them, keeps nothing
/// of them and keeps pulling other images.</summary>
[TestFixture]
public sealed class HostileImageTests : SharedDaemonFixture
{
    static byte[] Tar(IEnumerable<TarEntry> entries)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var entry in entries) writer.WriteEntry(entry);
        return buffer.ToArray();
    }

    static PaxTarEntry File(string name) => new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("x"u8.ToArray()) };

    static PaxTarEntry Dir(string name) => new(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 };

    static async Task<RpcException> PullFailsAsync(DaemonProcess daemon, string image)
    {
        var e = Assert.ThrowsAsync<RpcException>(() => daemon.PullAsync(image));
        TestContext.Progress.WriteLine($"pull {image}: {e!.StatusCode} {e.Status.Detail}");
        return await Task.FromResult(e);
    }

    static void AssertNothingKept(DaemonProcess daemon, string why)
    {
        var images = Path.Combine(daemon.Root, "images");
        Assert.That(Directory.Exists(Path.Combine(images, "tmp")), $"the pull temp directory survives {why}");
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(images, "tmp")), Is.Empty, $"nothing is left in tmp after {why}");
    }

    [TestCase(".wh..", "crishim-test/image-1", TestName = "PullImage_WhoseLayerWhitesOutDot_IsInvalidArgumentAndTheNextPullSucceeds")]
    [TestCase(".wh...", "crishim-test/image-2", TestName = "PullImage_WhoseLayerWhitesOutDotDot_IsInvalidArgumentAndTheNextPullSucceeds")]
    [TestCase("dir/.wh...", "crishim-test/image-3", TestName = "PullImage_WhoseLayerWhitesOutDotDotInADirectory_IsInvalidArgumentAndTheNextPullSucceeds")]
    public async Task PullImage_WhoseWhiteoutPointsOutsideItsLayer_IsRefused(string whiteout, string next)
    {
        var layer = Tar([Dir("dir/"), File("dir/kept"), File(whiteout)]);
        var repository = "hostile/whiteout-" + RegistryUpload.DigestOf(Encoding.UTF8.GetBytes(whiteout))[7..19];
        await Registry.PushImageAsync(repository, "v1", RegistryUpload.ConfigFor([layer]), layer);

        var e = await PullFailsAsync(Daemon, Ref(repository + ":v1"));

        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain($"whiteout \"{whiteout}\""));
        AssertNothingKept(Daemon, "the refused pull");
        Assert.That(await Daemon.StatusAsync(Ref(repository + ":v1")), Is.Null);
        // a different image: nothing of it is cached, so it needs the temp directory the whiteout aimed at
        Assert.That(await Daemon.PullAsync(Ref(next + ":latest")), Does.StartWith("sha256:"));
        AssertNothingKept(Daemon, "the next pull");
    }

    [Test]
    public async Task PullImage_WithAConfigOverTheLimit_IsInvalidArgumentNamingTheLimit()
    {
        var layer = Tar([File("a")]);
        await Registry.PushImageAsync("hostile/big-config", "v1", RegistryUpload.ConfigFor([layer], padding: 9 << 20), layer);

        var e = await PullFailsAsync(Daemon, Ref("hostile/big-config:v1"));

        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("8 MiB (8388608 bytes), the limit on image configs"));
        AssertNothingKept(Daemon, "the refused pull");
        Assert.That(await Daemon.StatusAsync(Ref("hostile/big-config:v1")), Is.Null);
    }

    [Test]
    public async Task PullImage_WithALayerOverTheConfiguredEntryLimit_IsInvalidArgumentAndLeavesNothing()
    {
        await using var daemon = await DaemonProcess.StartAsync(config => config["images"] = new JsonObject { ["maxLayerEntries"] = 100 });
        var many = Tar(Enumerable.Range(0, 150).Select(i => File($"f{i}")));
        await Registry.PushImageAsync("hostile/many-entries", "v1", RegistryUpload.ConfigFor([many]), many);
        var few = Tar(Enumerable.Range(0, 50).Select(i => File($"f{i}")));
        await Registry.PushImageAsync("hostile/few-entries", "v1", RegistryUpload.ConfigFor([few]), few);

        var e = await PullFailsAsync(daemon, Ref("hostile/many-entries:v1"));

        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("more than 100 entries").And.Contain("images.maxLayerEntries"));
        AssertNothingKept(daemon, "the refused pull");
        var images = Path.Combine(daemon.Root, "images");
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(images, "layers")), Is.Empty, "no partial layer");
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(images, "blobs", "sha256")), Is.Empty, "no blob of the refused image");
        Assert.That(await daemon.ListAsync(), Is.Empty);
        Assert.That(await daemon.PullAsync(Ref("hostile/few-entries:v1")), Does.StartWith("sha256:"), "a layer within the limit is pulled");
    }

    // VFS_CAP_REVISION_2 + effective; permitted CAP_SETGID|CAP_SETUID: its 0xc0 byte is not UTF-8
    static readonly byte[] Capability = [0x01, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    static byte[] Xattr(string path, string name)
    {
        var value = new byte[256];
        var length = Syscall.lgetxattr(path, name, value);
        return length < 0 ? [] : value[..(int)length];
    }

    static void SetXattr(string path, string name, byte[] value) =>
        Assert.That(Syscall.lsetxattr(path, name, value, (ulong)value.Length, XattrFlags.XATTR_AUTO), Is.Zero, $"setxattr {name} {path}");

    [Test]
    public async Task PullImage_OfALayerWithTrustedAndCapabilityXattrs_AppliesOnlyTheCapabilityAndUserOnes()
    {
        // built by GNU tar from a real directory, as an image builder would
        var staging = TestPaths.NewTempDir("xattr-layer");
        try
        {
            Directory.CreateDirectory(Path.Combine(staging, "root", "data"));
            var tool = Path.Combine(staging, "root", "data", "tool");
            await System.IO.File.WriteAllTextAsync(tool, "#!/bin/sh\n");
            SetXattr(Path.Combine(staging, "root", "data"), "trusted.overlay.opaque", "y"u8.ToArray());
            SetXattr(tool, "trusted.overlay.redirect", "/etc"u8.ToArray());
            SetXattr(tool, "security.capability", Capability);
            SetXattr(tool, "user.note", "kept"u8.ToArray());
            var tar = Path.Combine(staging, "layer.tar");
            await ProcessRunner.RunAsync("tar", ["--xattrs", "--xattrs-include=*", "--format=posix", "--numeric-owner", "-C", Path.Combine(staging, "root"), "-cf", tar, "."]);
            var layer = await System.IO.File.ReadAllBytesAsync(tar);
            await Registry.PushImageAsync("hostile/xattrs", "v1", RegistryUpload.ConfigFor([layer]), layer);
        }
        finally { Directory.Delete(staging, recursive: true); }

        var id = await Daemon.PullAsync(Ref("hostile/xattrs:v1"));

        var unpacked = (await Daemon.LayerDirsAsync(id)).Single();
        var data = Path.Combine(unpacked, "data");
        Assert.That(Xattr(data, "trusted.overlay.opaque"), Is.Empty, "trusted.overlay.* from a layer would rewrite the overlay");
        Assert.That(Xattr(Path.Combine(data, "tool"), "trusted.overlay.redirect"), Is.Empty);
        Assert.That(Xattr(Path.Combine(data, "tool"), "security.capability"), Is.EqualTo(Capability), "the binary capability is applied as written");
        Assert.That(Xattr(Path.Combine(data, "tool"), "user.note"), Is.EqualTo("kept"u8.ToArray()));
    }
}
