using CriShim.Oci.Specs;

namespace CriShim.Tests.Unit.Oci;

public class DeviceResolverTests
{
    [Test]
    public void A_host_device_resolves_to_its_type_major_and_minor()
    {
        var dev = DeviceResolver.Resolve("/dev/null", "/dev/mynull");
        Assert.That((dev.Path, dev.Type, dev.Major, dev.Minor), Is.EqualTo(("/dev/mynull", "c", 1L, 3L)));
        Assert.That(dev.FileMode, Is.EqualTo(Convert.ToUInt32("666", 8)));
    }

    [Test]
    public void Missing_paths_and_regular_files_are_not_devices()
    {
        Assert.That(() => DeviceResolver.Resolve("/dev/does-not-exist", "/dev/x"), Throws.TypeOf<SpecException>().With.Message.Contains("does not exist"));
        Assert.That(() => DeviceResolver.Resolve("/etc/passwd", "/dev/x"), Throws.TypeOf<SpecException>().With.Message.Contains("not a device"));
        Assert.That(() => DeviceResolver.Resolve("dev/null", "/dev/x"), Throws.TypeOf<SpecException>().With.Message.Contains("absolute"));
    }

    [TestCase(0x0103UL, 1L, 3L)]
    [TestCase(0x0AE5UL, 10L, 229L)]
    [TestCase(0x100010305UL, 259L, 0x100005L)]
    public void Dev_t_splits_like_glibc(ulong dev, long major, long minor)
    {
        Assert.That(DeviceResolver.Split(dev), Is.EqualTo((major, minor)));
    }

    [Test]
    public void Host_devices_include_dev_null_and_skip_pty_plumbing()
    {
        var devices = DeviceResolver.HostDevices();
        Assert.That(devices.Select(d => d.Path), Does.Contain("/dev/null").And.Not.Contain("/dev/ptmx").And.Not.Contain("/dev/console"));
        Assert.That(devices.Where(d => d.Path.StartsWith("/dev/pts/")), Is.Empty);
    }
}
