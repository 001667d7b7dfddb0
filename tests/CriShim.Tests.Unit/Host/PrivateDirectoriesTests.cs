using CriShim.Config;
using CriShim.Host;
using CriShim.Stores;

namespace CriShim.Tests.Unit.Host;

public sealed class PrivateDirectoriesTests
{
    string _dir = null!;

    [SetUp]
    public void Create() => _dir = Directory.CreateTempSubdirectory("crishim-private-").FullName;

    [TearDown]
    public void Delete() => Directory.Delete(_dir, true);

    [Test]
    public void Root_and_state_are_traversable_only_and_what_the_daemon_keeps_below_them_is_owner_only()
    {
        var options = new CriShimOptions { Root = Path.Combine(_dir, "root"), State = Path.Combine(_dir, "state") };
        // An older daemon left a world-readable directory behind.
        Directory.CreateDirectory(Path.Combine(options.Root, "rw"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        PrivateDirectories.Prepare(options, ["runc", "../escape"]);

        Assert.That(File.GetUnixFileMode(options.Root), Is.EqualTo(PrivateDirectories.Traversable));
        Assert.That(File.GetUnixFileMode(options.State), Is.EqualTo(PrivateDirectories.Traversable));
        foreach (var child in DaemonLayout.RootChildren)
            Assert.That(File.GetUnixFileMode(Path.Combine(options.Root, child)), Is.EqualTo(PrivateDirectories.OwnerOnly), child);
        foreach (var child in DaemonLayout.StateChildren.Append("runc"))
            Assert.That(File.GetUnixFileMode(Path.Combine(options.State, child)), Is.EqualTo(
                child switch { "containers" or "pods" => PrivateDirectories.Traversable, "infra-rootfs" => PrivateDirectories.Readable, _ => PrivateDirectories.OwnerOnly }), child);
        Assert.That(Directory.Exists(Path.Combine(_dir, "escape")), Is.False, "a runtime name is never a path");
    }

    [Test]
    public async Task Records_are_written_readable_by_their_owner_only()
    {
        var path = Path.Combine(_dir, "record.json");
        await AtomicFile.WriteAsync(path, "{\"env\":\"secret\"}"u8.ToArray());
        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }
}
