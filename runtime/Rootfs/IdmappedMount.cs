using System.Runtime.InteropServices;
using CriShim.Oci.Native;

namespace CriShim.Oci.Rootfs;

/// <summary>
/// Idmapped mounts (kernel 5.12+): a clone of a directory whose files appear owned through a user namespace's mapping
/// (on-disk 0 shows as the pod's host root), made with open_tree + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount.
/// </summary>
public static class IdmappedMount
{
    /// <summary>Attaches an idmapped clone of <paramref name="source"/> (and the mounts below it) at <paramref name="target"/>.</summary>
    public static void Clone(string source, string target, string userNsPath)
    {
        using var userns = File.OpenHandle(userNsPath, FileMode.Open, FileAccess.Read);
        var tree = LibC.open_tree(LibC.AT_FDCWD, source, LibC.OPEN_TREE_CLONE | LibC.OPEN_TREE_CLOEXEC | LibC.AT_RECURSIVE);
        if (tree < 0) Fail("open_tree", source);
        try
        {
            var attr = new LibC.MountAttr { AttrSet = LibC.MOUNT_ATTR_IDMAP, UsernsFd = (ulong)userns.DangerousGetHandle() };
            if (LibC.mount_setattr(tree, "", LibC.AT_EMPTY_PATH | LibC.AT_RECURSIVE, ref attr, (nuint)Marshal.SizeOf<LibC.MountAttr>()) != 0)
                Fail("mount_setattr(MOUNT_ATTR_IDMAP)", source);
            if (LibC.move_mount(tree, "", LibC.AT_FDCWD, target, LibC.MOVE_MOUNT_F_EMPTY_PATH) != 0) Fail("move_mount", source);
        }
        finally { LibC.close(tree); }
    }

    /// <summary>
    /// The overlay of <paramref name="layout"/> over idmapped clones of its lower directories, staged under
    /// <paramref name="stagingDir"/> and detached again once the overlay holds them. The upper directory stays as it
    /// is: overlayfs writes it with the mounter's (host root's) credentials, which an idmapped upper cannot store, so
    /// its root must already be owned by the pod's root.
    /// </summary>
    public static void MountOverlay(OverlayLayout layout, string userNsPath, string stagingDir)
    {
        var staged = new List<string>();
        try
        {
            foreach (var lower in layout.LowerDirs)
            {
                var target = Path.Combine(stagingDir, staged.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Directory.CreateDirectory(target);
                staged.Add(target);
                Clone(lower, target, userNsPath);
            }
            OverlayRootfs.Mount(layout with { LowerDirs = staged });
        }
        finally
        {
            foreach (var dir in staged)
            {
                Unmounter.Unmount(dir);
                Directory.Delete(dir);
            }
            if (Directory.Exists(stagingDir)) Directory.Delete(stagingDir);
        }
    }

    static void Fail(string step, string source)
    {
        var errno = Marshal.GetLastPInvokeError();
        throw new MountException($"idmapped mount of {source} failed in {step}: {LibC.Describe(errno)}", errno);
    }
}
