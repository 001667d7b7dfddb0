using System.Runtime.InteropServices;
using System.Text;
using CriShim.Oci.Native;

namespace CriShim.Oci.Rootfs;

/// <summary>
/// An overlay rootfs: image layers (lowest first, as the image store lists them), plus an upper and work directory
/// for the container's writes. Without an upper directory the overlay is read-only.
/// </summary>
public sealed record OverlayLayout(IReadOnlyList<string> LowerDirs, string? UpperDir, string? WorkDir, string Target, bool ReadOnly = false);

/// <summary>Mounts and unmounts overlay rootfs with mount(2), or the new mount API when the options are too long.</summary>
public static class OverlayRootfs
{
    /// <summary>mount(2) copies at most one page of option data (including the NUL).</summary>
    public const int MaxMountDataLength = 4095;

    /// <summary>The overlay options: lowerdir lists the TOP layer first, so the image's order is reversed.</summary>
    public static string Options(OverlayLayout layout)
    {
        Validate(layout);
        var sb = new StringBuilder("lowerdir=");
        sb.AppendJoin(':', layout.LowerDirs.Reverse().Select(Escape));
        if (layout.UpperDir is not null)
            sb.Append(",upperdir=").Append(Escape(layout.UpperDir)).Append(",workdir=").Append(Escape(layout.WorkDir!));
        return sb.ToString();
    }

    /// <summary>
    /// Mounts the overlay at <see cref="OverlayLayout.Target"/> (creating target, upper and work directories).
    /// Options longer than a page (many or deep layers) are passed one layer at a time with fsconfig "lowerdir+"
    /// (kernel 6.8+), which has no total length limit and needs neither chdir nor symlinks.
    /// </summary>
    public static void Mount(OverlayLayout layout)
    {
        var options = Options(layout);
        Directory.CreateDirectory(layout.Target);
        if (layout.UpperDir is not null)
        {
            Directory.CreateDirectory(layout.UpperDir);
            Directory.CreateDirectory(layout.WorkDir!);
        }
        var readOnly = layout.ReadOnly || layout.UpperDir is null;
        if (layout.UpperDir is null && layout.LowerDirs.Count == 1)
        {
            // overlayfs refuses a single lower layer without an upper one; a read-only bind mount is equivalent.
            BindReadOnly(layout.LowerDirs[0], layout.Target);
            return;
        }
        if (options.Length <= MaxMountDataLength)
        {
            if (LibC.mount("overlay", layout.Target, "overlay", readOnly ? LibC.MS_RDONLY : 0, options) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new MountException($"overlay mount at {layout.Target} failed: {LibC.Describe(errno)}", errno);
            }
            return;
        }
        MountWithFsConfig(layout, readOnly);
    }

    public static bool Unmount(string target) => Unmounter.Unmount(target);

    private static void MountWithFsConfig(OverlayLayout layout, bool readOnly)
    {
        var fs = LibC.fsopen("overlay", LibC.FSOPEN_CLOEXEC);
        if (fs < 0) Fail("fsopen(overlay)", layout.Target);
        try
        {
            foreach (var lower in layout.LowerDirs.Reverse())
                if (LibC.fsconfig(fs, LibC.FSCONFIG_SET_STRING, "lowerdir+", lower, 0) != 0)
                    Fail($"fsconfig lowerdir+ {lower} (needs kernel 6.8+ for more layers than fit in one page)", layout.Target);
            if (layout.UpperDir is not null)
            {
                if (LibC.fsconfig(fs, LibC.FSCONFIG_SET_STRING, "upperdir", layout.UpperDir, 0) != 0) Fail("fsconfig upperdir", layout.Target);
                if (LibC.fsconfig(fs, LibC.FSCONFIG_SET_STRING, "workdir", layout.WorkDir, 0) != 0) Fail("fsconfig workdir", layout.Target);
            }
            if (LibC.fsconfig(fs, LibC.FSCONFIG_CMD_CREATE, null, null, 0) != 0) Fail("fsconfig create", layout.Target);
            var mnt = LibC.fsmount(fs, LibC.FSMOUNT_CLOEXEC, readOnly ? LibC.MOUNT_ATTR_RDONLY : 0);
            if (mnt < 0) Fail("fsmount", layout.Target);
            try
            {
                if (LibC.move_mount(mnt, "", LibC.AT_FDCWD, layout.Target, LibC.MOVE_MOUNT_F_EMPTY_PATH) != 0) Fail("move_mount", layout.Target);
            }
            finally { LibC.close(mnt); }
        }
        finally { LibC.close(fs); }
    }

    private static void BindReadOnly(string source, string target)
    {
        if (LibC.mount(source, target, "", LibC.MS_BIND, null) != 0) Fail("bind", target);
        if (LibC.mount("", target, "", LibC.MS_BIND | LibC.MS_REMOUNT | LibC.MS_RDONLY, null) != 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            Unmounter.Unmount(target);
            throw new MountException($"read-only remount of {target} failed: {LibC.Describe(errno)}", errno);
        }
    }

    private static void Fail(string step, string target)
    {
        var errno = Marshal.GetLastPInvokeError();
        throw new MountException($"overlay mount at {target} failed in {step}: {LibC.Describe(errno)}", errno);
    }

    private static void Validate(OverlayLayout layout)
    {
        if (layout.LowerDirs.Count == 0) throw new ArgumentException("an overlay needs at least one lower directory");
        if ((layout.UpperDir is null) != (layout.WorkDir is null)) throw new ArgumentException("upper and work directories go together");
        foreach (var dir in layout.LowerDirs.Append(layout.Target).Concat(layout.UpperDir is null ? [] : [layout.UpperDir, layout.WorkDir!]))
            if (!Path.IsPathRooted(dir)) throw new ArgumentException($"overlay path \"{dir}\" must be absolute");
    }

    // overlayfs splits lowerdir on ':' and options on ','; a backslash escapes either.
    private static string Escape(string path) =>
        path.Replace("\\", "\\\\").Replace(":", "\\:").Replace(",", "\\,");
}
