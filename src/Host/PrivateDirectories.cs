using CriShim.Config;

namespace CriShim.Host;

/// <summary>
/// Keeps host users out of what the daemon holds. Root and state are 0711 (others may only traverse them, to reach
/// a socket placed there); every directory the daemon keeps directly below them is 0700, so nothing deeper — unpacked
/// layers and writable layers with setuid files, mounted rootfs, device nodes a container made, bundles with env
/// secrets, conmon's pid/exit files, exec scratch dirs — can be reached by path, whatever mode it was created with.
/// Two are 0711 instead (<see cref="TraversableStateChildren"/>), as containerd's bundle root is, and the static pause
/// rootfs is 0755 (nothing in it is secret or setuid): in a pod with a
/// user namespace, runc's init resolves the rootfs and the pod's files as the pod's root, a host uid without rights
/// on root-owned directories. Below them each container bundle and pod dir is 0700 (<see cref="ForPod"/>), and 0711
/// only for user-namespace pods, whose files belong to the pod's mapped IDs (a setuid file there gains no host ID).
/// Containers are otherwise unaffected: runc resolves rootfs and bind-mount sources as root before pivot_root, and
/// inside the container only the mounted files' own modes count (pod hosts/resolv.conf stay 0644).
/// </summary>
public static class PrivateDirectories
{
    public const UnixFileMode Traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    /// <summary>0755: only the static pause rootfs (a binary and empty mount points), which runc must open as the pod's root.</summary>
    public const UnixFileMode Readable = Traversable | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;


    /// <summary>Creates root and state and their children with the modes above; existing ones (from an older daemon)
    /// are chmod'ed. Runs before any service creates a file below them.</summary>
    public static void Prepare(CriShimOptions options, IEnumerable<string> runtimeNames)
    {
        var layout = new DaemonLayout(options);
        Ensure(layout.Root, Traversable);
        Ensure(layout.State, Traversable);
        foreach (var child in DaemonLayout.RootChildren) Ensure(Path.Combine(layout.Root, child), OwnerOnly);
        // Each runtime's --root (state/NAME).
        var runtimeDirs = runtimeNames.Where(IsPlainName);
        // The static pause rootfs is open, bundles and pod dirs traversable (DaemonLayout.TraversableStateChildren).
        foreach (var child in DaemonLayout.StateChildren.Concat(runtimeDirs))
            Ensure(Path.Combine(layout.State, child),
                child == DaemonLayout.InfraRootfsName ? Readable : DaemonLayout.TraversableStateChildren.Contains(child) ? Traversable : OwnerOnly);
    }

    /// <summary>The mode of a container bundle or pod dir: owner-only, or traversable in a pod with a user namespace.</summary>
    public static UnixFileMode ForPod(bool userNamespace) => userNamespace ? Traversable : OwnerOnly;

    /// <summary>The directory with exactly <paramref name="mode"/> (missing parents get the same mode).</summary>
    public static void Ensure(string path, UnixFileMode mode)
    {
        Directory.CreateDirectory(path, mode);
        if (File.GetUnixFileMode(path) != mode) File.SetUnixFileMode(path, mode);
    }

    static bool IsPlainName(string name) => name.Length > 0 && !name.Contains('/') && name is not "." and not "..";
}
