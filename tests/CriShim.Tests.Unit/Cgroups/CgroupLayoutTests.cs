using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Unit.Cgroups;

public class CgroupLayoutTests
{
    [Test]
    public void Hybrid_host_with_separate_cpu_and_cpuacct_mounts_maps_each_controller_to_its_own_mount()
    {
        var layout = CgroupLayout.FromMounts(MountInfoParser.Parse(MountInfoSamples.Hybrid), ["hugetlb"]);

        Assert.That(layout.Mode, Is.EqualTo(CgroupMode.Hybrid));
        Assert.That(layout.MountPointOf("cpu"), Is.EqualTo("/sys/fs/cgroup/cpu"));
        Assert.That(layout.MountPointOf("cpuacct"), Is.EqualTo("/sys/fs/cgroup/cpuacct"));
        Assert.That(layout.MountPointOf("memory"), Is.EqualTo("/sys/fs/cgroup/memory"));
        Assert.That(layout.MountPointOf("hugetlb"), Is.EqualTo("/sys/fs/cgroup/unified"));
        Assert.That(layout.IsUnifiedController("hugetlb"), Is.True);
        Assert.That(layout.IsUnifiedController("memory"), Is.False);
        Assert.That(layout.Unified?.MountPoint, Is.EqualTo("/sys/fs/cgroup/unified"));
    }

    [Test]
    public void Hybrid_resolution_gives_a_directory_in_every_hierarchy_including_named_and_unified_ones()
    {
        var layout = CgroupLayout.FromMounts(MountInfoParser.Parse(MountInfoSamples.Hybrid), ["hugetlb"]);

        var paths = layout.Resolve("/kubepods/besteffort/pod1/abc");

        Assert.That(paths.For("cpu"), Is.EqualTo("/sys/fs/cgroup/cpu/kubepods/besteffort/pod1/abc"));
        Assert.That(paths.For("cpuacct"), Is.EqualTo("/sys/fs/cgroup/cpuacct/kubepods/besteffort/pod1/abc"));
        Assert.That(paths.For("pids"), Is.EqualTo("/sys/fs/cgroup/pids/kubepods/besteffort/pod1/abc"));
        Assert.That(paths.Unified, Is.EqualTo("/sys/fs/cgroup/unified/kubepods/besteffort/pod1/abc"));
        Assert.That(paths.AllDirectories, Is.EquivalentTo(
            new[] { "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd", "unified" }
                .Select(h => $"/sys/fs/cgroup/{h}/kubepods/besteffort/pod1/abc")),
            "every mounted hierarchy, named and unified ones included; hugetlb is not mounted");
    }

    [Test]
    public void Pure_v2_host_resolves_every_controller_to_the_single_tree()
    {
        var layout = CgroupLayout.FromMounts(MountInfoParser.Parse(MountInfoSamples.PureV2), ["cpuset", "cpu", "io", "memory", "pids"]);

        var paths = layout.Resolve("kubepods/pod1/abc");

        Assert.That(layout.Mode, Is.EqualTo(CgroupMode.V2));
        Assert.That(paths.Unified, Is.EqualTo("/sys/fs/cgroup/kubepods/pod1/abc"));
        Assert.That(paths.For("memory"), Is.EqualTo("/sys/fs/cgroup/kubepods/pod1/abc"));
        Assert.That(paths.AllDirectories, Is.EqualTo(new[] { "/sys/fs/cgroup/kubepods/pod1/abc" }));
    }

    [Test]
    public void Co_mounted_v1_controllers_share_one_directory_and_mount_options_are_not_controllers()
    {
        var mounts = MountInfoParser.Parse(MountInfoSamples.V1CoMounted);
        var layout = CgroupLayout.FromMounts(mounts, []);

        Assert.That(layout.Mode, Is.EqualTo(CgroupMode.V1));
        Assert.That(mounts.Single(m => m.MountPoint == "/sys/fs/cgroup/systemd").Controllers, Is.EqualTo(new[] { "name=systemd" }));
        var paths = layout.Resolve("/a");
        Assert.That(paths.For("cpu"), Is.EqualTo("/sys/fs/cgroup/cpu,cpuacct/a"));
        Assert.That(paths.For("cpuacct"), Is.EqualTo("/sys/fs/cgroup/cpu,cpuacct/a"));
        Assert.That(paths.AllDirectories, Is.EquivalentTo(new[]
        {
            "/sys/fs/cgroup/systemd/a", "/sys/fs/cgroup/cpu,cpuacct/a", "/sys/fs/cgroup/net_cls,net_prio/a", "/sys/fs/cgroup/memory/a",
        }), "one directory per co-mounted pair");
    }

    [Test]
    public void A_mount_showing_a_sub_tree_strips_its_root_from_the_path()
    {
        var mounts = MountInfoParser.Parse("50 40 0:30 /kubepods /host/memory rw - cgroup cgroup rw,memory\n");
        var layout = CgroupLayout.FromMounts(mounts, []);

        Assert.That(layout.Resolve("/kubepods/pod1").For("memory"), Is.EqualTo("/host/memory/pod1"));
    }

    [Test]
    public void Escaped_spaces_in_mount_points_are_decoded()
    {
        var mounts = MountInfoParser.Parse(@"50 40 0:30 / /mnt/my\040cgroup rw - cgroup2 cgroup2 rw" + "\n");

        Assert.That(mounts.Single().MountPoint, Is.EqualTo("/mnt/my cgroup"));
    }

    [Test]
    public void Systemd_slice_paths_and_dot_dot_segments_are_rejected()
    {
        var layout = CgroupLayout.FromMounts(MountInfoParser.Parse(MountInfoSamples.PureV2), []);

        Assert.Throws<ArgumentException>(() => layout.Resolve("kubepods-besteffort.slice:cri-containerd:abc"));
        Assert.Throws<ArgumentException>(() => layout.Resolve("/kubepods/../etc"));
    }

    [Test]
    public void A_host_without_any_cgroup_mount_is_reported()
    {
        Assert.Throws<InvalidOperationException>(() => CgroupLayout.FromMounts([], []));
    }
}
