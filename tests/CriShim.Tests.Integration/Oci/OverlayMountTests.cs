using CriShim.Oci.Rootfs;
using Mono.Unix.Native;

namespace CriShim.Tests.Integration.Oci;

[TestFixture, NonParallelizable]
public class OverlayMountTests
{
    private BusyboxLayers _layers = null!;

    [SetUp]
    public void SetUp() => _layers = new BusyboxLayers();

    [TearDown]
    public void TearDown() => _layers.Dispose();

    [Test]
    public void The_top_layer_wins_and_writes_land_in_the_upper_directory()
    {
        var layout = _layers.MountRootfs("c1");
        Assert.That(File.ReadAllText(Path.Combine(layout.Target, "etc", "motd")), Is.EqualTo("top\n"));
        Assert.That(File.Exists(Path.Combine(layout.Target, "base-only")), Is.True);
        File.WriteAllText(Path.Combine(layout.Target, "new"), "x");
        Assert.That(File.Exists(Path.Combine(layout.UpperDir!, "new")), Is.True);
        Assert.That(File.Exists(Path.Combine(_layers.Base, "new")), Is.False);
    }

    [Test]
    public void A_read_only_overlay_refuses_writes()
    {
        var layout = _layers.MountRootfs("c1", readOnly: true);
        Assert.Throws<IOException>(() => File.WriteAllText(Path.Combine(layout.Target, "new"), "x"));
    }

    [Test]
    public void A_single_layer_without_upper_directory_is_mounted_read_only()
    {
        var target = Path.Combine(_layers.Root, "single", "rootfs");
        OverlayRootfs.Mount(new OverlayLayout([_layers.Base], null, null, target));
        _layers.Track(target);
        Assert.That(File.ReadAllText(Path.Combine(target, "etc", "motd")), Is.EqualTo("base\n"));
        Assert.Throws<IOException>(() => File.WriteAllText(Path.Combine(target, "new"), "x"));
        Assert.That(File.Exists(Path.Combine(_layers.Base, "new")), Is.False);
    }

    [Test]
    public void Two_layers_without_upper_directory_are_a_read_only_overlay()
    {
        var target = Path.Combine(_layers.Root, "two", "rootfs");
        OverlayRootfs.Mount(new OverlayLayout([_layers.Base, _layers.Top], null, null, target));
        _layers.Track(target);
        Assert.That(File.ReadAllText(Path.Combine(target, "etc", "motd")), Is.EqualTo("top\n"));
        Assert.Throws<IOException>(() => File.WriteAllText(Path.Combine(target, "new"), "x"));
    }

    [Test]
    public void Unmounting_twice_is_fine()
    {
        var layout = _layers.MountRootfs("c1");
        Assert.That(OverlayRootfs.Unmount(layout.Target), Is.True);
        Assert.That(Unmounter.IsMountPoint(layout.Target), Is.False);
        Assert.That(OverlayRootfs.Unmount(layout.Target), Is.False);
        Assert.That(OverlayRootfs.Unmount(Path.Combine(_layers.Root, "never-existed")), Is.False);
    }

    [Test]
    public void A_busy_mount_is_lazily_detached()
    {
        var layout = _layers.MountRootfs("c1");
        using (File.OpenRead(Path.Combine(layout.Target, "etc", "motd")))
        {
            Assert.That(OverlayRootfs.Unmount(layout.Target), Is.True);
            Assert.That(Unmounter.IsMountPoint(layout.Target), Is.False);
        }
    }

    [Test]
    public void Layer_lists_longer_than_a_page_still_mount()
    {
        var lowers = new List<string> { _layers.Base };
        var deep = new string('d', 120);
        for (var i = 0; i < 60; i++)
        {
            var dir = _layers.Dir(Path.Combine("many", $"{deep}-{i:D3}"));
            File.WriteAllText(Path.Combine(dir, $"layer-{i}"), i.ToString());
            File.WriteAllText(Path.Combine(dir, "which"), i.ToString());
            lowers.Add(dir);
        }
        var c = _layers.Dir("long");
        var layout = new OverlayLayout(lowers, Path.Combine(c, "upper"), Path.Combine(c, "work"), Path.Combine(c, "rootfs"));
        Assert.That(OverlayRootfs.Options(layout).Length, Is.GreaterThan(OverlayRootfs.MaxMountDataLength));
        OverlayRootfs.Mount(layout);
        _layers.Track(layout.Target);
        Assert.That(File.ReadAllText(Path.Combine(layout.Target, "which")), Is.EqualTo("59"), "the last listed layer is the top");
        Assert.That(File.Exists(Path.Combine(layout.Target, "layer-0")), Is.True);
        Assert.That(File.Exists(Path.Combine(layout.Target, "bin", "busybox")), Is.True);
    }

    [Test]
    public void The_pod_shm_is_a_world_writable_sticky_tmpfs_without_exec_suid_or_devices()
    {
        var shm = Path.Combine(_layers.Root, "pod", "shm");
        ShmMount.Mount(shm);
        _layers.Track(shm);
        Assert.That(Syscall.stat(shm, out var st), Is.Zero);
        Assert.That((uint)st.st_mode & 0xFFF, Is.EqualTo(Convert.ToUInt32("1777", 8)));
        var line = File.ReadLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == shm);
        Assert.That(line, Does.Contain("nosuid").And.Contain("nodev").And.Contain("noexec").And.Contain(" tmpfs "));
        Assert.That(ShmMount.Unmount(shm), Is.True);
        Assert.That(ShmMount.Unmount(shm), Is.False);
    }
}
