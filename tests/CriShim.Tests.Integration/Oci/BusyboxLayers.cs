using CriShim.Oci.Rootfs;
using CriShim.Tests.Integration.Support;

namespace CriShim.Tests.Integration.Oci;

/// <summary>
/// A scratch area under /tmp with two image layers made from Debian's static busybox: the base layer has busybox,
/// its applets and /etc files; the top layer overrides /etc/motd. Unmounts anything still mounted under it on dispose.
/// </summary>
internal sealed class BusyboxLayers : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("crishim-oci-it-").FullName;
    public string Base => Path.Combine(Root, "layers", "base");
    public string Top => Path.Combine(Root, "layers", "top");
    private readonly List<string> _mounts = [];

    public BusyboxLayers()
    {
        TestBundle.PopulateRootfs(Base);
        foreach (var dir in new[] { "home/app", "mnt" })
            Directory.CreateDirectory(Path.Combine(Base, dir));
        File.WriteAllText(Path.Combine(Base, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
        File.WriteAllText(Path.Combine(Base, "etc", "group"), "root:x:0:\nwheel:x:10:root,app\napp:x:1000:\n");
        File.WriteAllText(Path.Combine(Base, "etc", "motd"), "base\n");
        File.WriteAllText(Path.Combine(Base, "base-only"), "from base\n");
        Directory.CreateDirectory(Path.Combine(Top, "etc"));
        File.WriteAllText(Path.Combine(Top, "etc", "motd"), "top\n");
    }

    public string Dir(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Mounts an overlay of base+top at containers/NAME/rootfs and remembers it for cleanup.</summary>
    public OverlayLayout MountRootfs(string name, bool readOnly = false)
    {
        var c = Dir(Path.Combine("containers", name));
        var layout = new OverlayLayout([Base, Top], Path.Combine(c, "upper"), Path.Combine(c, "work"), Path.Combine(c, "rootfs"), readOnly);
        OverlayRootfs.Mount(layout);
        Track(layout.Target);
        return layout;
    }

    public void Track(string mountPoint) => _mounts.Add(mountPoint);

    public void Dispose()
    {
        foreach (var mount in Enumerable.Reverse(_mounts)) Unmounter.Unmount(mount);
        // Never recurse into something still mounted.
        if (File.ReadAllText("/proc/self/mountinfo").Contains(Root))
            throw new InvalidOperationException($"mounts remain under {Root}");
        Directory.Delete(Root, recursive: true);
    }
}
