using CriShim.Oci.Rootfs;

namespace CriShim.Tests.Unit.Oci;

public class OverlayOptionsTests
{
    [Test]
    public void Lowerdir_lists_the_top_layer_first()
    {
        var options = OverlayRootfs.Options(new OverlayLayout(["/l/base", "/l/mid", "/l/top"], "/c/upper", "/c/work", "/c/rootfs"));
        Assert.That(options, Is.EqualTo("lowerdir=/l/top:/l/mid:/l/base,upperdir=/c/upper,workdir=/c/work"));
    }

    [Test]
    public void Colons_and_commas_in_paths_are_escaped()
    {
        Assert.That(OverlayRootfs.Options(new OverlayLayout(["/l/a:b,c"], null, null, "/t")), Is.EqualTo(@"lowerdir=/l/a\:b\,c"));
    }

    [Test]
    public void Bad_layouts_are_refused()
    {
        Assert.Throws<ArgumentException>(() => OverlayRootfs.Options(new OverlayLayout([], "/u", "/w", "/t")));
        Assert.Throws<ArgumentException>(() => OverlayRootfs.Options(new OverlayLayout(["/l"], "/u", null, "/t")));
        Assert.Throws<ArgumentException>(() => OverlayRootfs.Options(new OverlayLayout(["rel"], null, null, "/t")));
    }

    [Test]
    public void Shm_options_set_mode_1777_and_the_size()
    {
        Assert.That(ShmMount.Options(ShmMount.DefaultSizeBytes), Is.EqualTo("mode=1777,size=67108864"));
    }
}
