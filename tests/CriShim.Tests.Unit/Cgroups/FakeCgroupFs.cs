using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Unit.Cgroups;

/// <summary>A throwaway directory tree shaped like cgroupfs, with a layout whose mounts point into it.</summary>
internal sealed class FakeCgroupFs : IDisposable
{
    private FakeCgroupFs(string root, CgroupLayout layout)
    {
        Root = root;
        Layout = layout;
    }

    public string Root { get; }
    public CgroupLayout Layout { get; }

    /// <summary>Separate v1 hierarchies for cpu, cpuacct, cpuset, memory, pids plus a unified mount holding hugetlb.</summary>
    public static FakeCgroupFs Hybrid()
    {
        var root = NewRoot();
        var mounts = new List<CgroupMount>();
        foreach (var controller in new[] { "cpu", "cpuacct", "cpuset", "memory", "pids" })
            mounts.Add(new CgroupMount(Path.Combine(root, controller), "/", false, [controller]));
        mounts.Add(new CgroupMount(Path.Combine(root, "unified"), "/", true, []));
        return new FakeCgroupFs(root, CgroupLayout.FromMounts(mounts, ["hugetlb"]));
    }

    public static FakeCgroupFs V2()
    {
        var root = NewRoot();
        var mounts = new[] { new CgroupMount(Path.Combine(root, "unified"), "/", true, []) };
        return new FakeCgroupFs(root, CgroupLayout.FromMounts(mounts, ["cpu", "cpuset", "memory", "pids", "hugetlb"]));
    }

    /// <summary>Creates the file (and its cgroup directory) under the hierarchy mount named <paramref name="hierarchy"/>.</summary>
    public void Write(string hierarchy, string cgroupsPath, string file, string content)
    {
        var dir = Path.Combine(Root, hierarchy) + cgroupsPath;
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, file), content);
    }

    public string Read(string hierarchy, string cgroupsPath, string file) =>
        File.ReadAllText(Path.Combine(Path.Combine(Root, hierarchy) + cgroupsPath, file));

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private static string NewRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "crishim-fakecg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        return root;
    }
}
