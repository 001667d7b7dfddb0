using CriShim.Oci.Specs;

namespace CriShim.Tests.Unit.Oci;

public class MountPlanningTests
{
    [TestCase("/a//b/./c/", "/a/b/c")]
    [TestCase("/a/b/../c", "/a/c")]
    [TestCase("/", "/")]
    public void Container_paths_are_cleaned(string path, string expected)
    {
        Assert.That(ContainerPaths.Clean(path), Is.EqualTo(expected));
    }

    [TestCase("relative/path")]
    [TestCase("")]
    [TestCase("/../etc")]
    [TestCase("/a/../../etc")]
    public void Relative_or_escaping_container_paths_are_refused(string path)
    {
        Assert.Throws<SpecException>(() => ContainerPaths.Clean(path));
    }

    [Test]
    public void Bind_mounts_carry_rbind_propagation_and_read_only()
    {
        using var dir = new TempDir();
        var (mounts, propagation) = ContainerSpecGenerator.BindMounts([
            new MountInput("/data", dir.Path, Readonly: true),
            new MountInput("/host", dir.Path, Propagation: MountPropagation.HostToContainer),
        ]);
        Assert.That(mounts[0].Options, Is.EqualTo(new[] { "rbind", "rprivate", "ro" }));
        Assert.That(mounts[1].Options, Is.EqualTo(new[] { "rbind", "rslave", "rw" }));
        Assert.That(mounts[0].Type, Is.EqualTo("bind"));
        Assert.That(propagation, Is.EqualTo("rslave"));
    }

    [Test]
    public void Bidirectional_propagation_makes_the_rootfs_rshared()
    {
        using var dir = new TempDir();
        var (mounts, propagation) = ContainerSpecGenerator.BindMounts([
            new MountInput("/a", dir.Path, Propagation: MountPropagation.Bidirectional),
            new MountInput("/b", dir.Path, Propagation: MountPropagation.HostToContainer),
        ]);
        Assert.That(mounts[0].Options, Does.Contain("rshared"));
        Assert.That(propagation, Is.EqualTo("rshared"));
    }

    [Test]
    public void Private_mounts_need_no_rootfs_propagation()
    {
        using var dir = new TempDir();
        Assert.That(ContainerSpecGenerator.BindMounts([new MountInput("/a", dir.Path)]).RootfsPropagation, Is.Null);
    }

    [Test]
    public void A_missing_host_path_is_created_as_a_directory()
    {
        using var dir = new TempDir();
        var missing = dir.Combine("not", "yet");
        var (mounts, _) = ContainerSpecGenerator.BindMounts([new MountInput("/data", missing)]);
        Assert.That(Directory.Exists(missing), Is.True);
        Assert.That(mounts[0].Source, Is.EqualTo(missing));
    }

    [Test]
    public void A_symlinked_host_path_is_resolved()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("real"));
        File.CreateSymbolicLink(dir.Combine("link"), dir.Combine("real"));
        var (mounts, _) = ContainerSpecGenerator.BindMounts([new MountInput("/data", dir.Combine("link"))]);
        Assert.That(mounts[0].Source, Is.EqualTo(dir.Combine("real")));
    }

    [Test]
    public void Relative_host_paths_and_escaping_destinations_are_refused()
    {
        using var dir = new TempDir();
        Assert.That(() => ContainerSpecGenerator.BindMounts([new MountInput("/data", "relative")]),
            Throws.TypeOf<SpecException>().With.Message.Contains("absolute"));
        Assert.That(() => ContainerSpecGenerator.BindMounts([new MountInput("/../../x", dir.Path)]),
            Throws.TypeOf<SpecException>().With.Message.Contains(".."));
        Assert.That(() => ContainerSpecGenerator.BindMounts([new MountInput("data", dir.Path)]),
            Throws.TypeOf<SpecException>().With.Message.Contains("absolute"));
    }

    [Test]
    public void Pod_files_are_bound_read_only_with_a_readonly_rootfs_but_shm_stays_writable()
    {
        var mounts = ContainerSpecGenerator.PodFileMounts(new PodFilePaths("/p/hostname", "/p/hosts", "/p/resolv.conf", "/p/shm"), readonlyRootfs: true);
        Assert.That(mounts.Select(m => (m.Destination, m.Source)), Is.EqualTo(new[]
        {
            ("/etc/hostname", "/p/hostname"), ("/etc/hosts", "/p/hosts"), ("/etc/resolv.conf", "/p/resolv.conf"), ("/dev/shm", "/p/shm"),
        }));
        Assert.That(mounts.Take(3).All(m => m.Options!.Contains("ro")), Is.True);
        Assert.That(mounts[3].Options, Does.Contain("rw").And.Contain("nosuid").And.Contain("nodev").And.Contain("noexec"));
    }
}
