using CriShim.Oci.Specs;

namespace CriShim.Tests.Unit.Oci;

public class RootfsPathTests
{
    [Test]
    public void Symlinks_that_climb_out_stay_inside_the_rootfs()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("etc"));
        File.CreateSymbolicLink(dir.Combine("etc", "passwd"), "../../../../../etc/shadow");
        Assert.That(RootfsPath.Resolve(dir.Path, "/etc/passwd"), Is.EqualTo(dir.Combine("etc", "shadow")));
    }

    [Test]
    public void Absolute_symlinks_are_relative_to_the_rootfs()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("usr", "etc"));
        File.CreateSymbolicLink(dir.Combine("etc"), "/usr/etc");
        Assert.That(RootfsPath.Resolve(dir.Path, "/etc/group"), Is.EqualTo(dir.Combine("usr", "etc", "group")));
    }

    [Test]
    public void Symlink_loops_are_an_io_error()
    {
        using var dir = new TempDir();
        File.CreateSymbolicLink(dir.Combine("a"), "/b");
        File.CreateSymbolicLink(dir.Combine("b"), "/a");
        Assert.Throws<IOException>(() => RootfsPath.Resolve(dir.Path, "/a/x"));
    }
}
