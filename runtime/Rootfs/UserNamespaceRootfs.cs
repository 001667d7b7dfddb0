using CriShim.Oci.Specs;
using Mono.Unix.Native;

namespace CriShim.Oci.Rootfs;

/// <summary>
/// The rootfs of a container in a pod's user namespace: the image layers idmapped through that namespace (image root
/// shows as the pod's root; the shared layers are not copied or chowned), the writable layer plain on disk with its
/// root owned by the pod root's host IDs, so what the container writes lands on disk as its host IDs.
/// </summary>
public static class UserNamespaceRootfs
{
    public static void Mount(OverlayLayout layout, UserNamespaceInput userns, string stagingDir)
    {
        if (layout.UpperDir is { } upper)
        {
            var uid = IdMaps.HostIdOf(userns.Uids, 0) ?? throw new SpecException("uid mappings do not map container root");
            var gid = IdMaps.HostIdOf(userns.Gids, 0) ?? throw new SpecException("gid mappings do not map container root");
            Directory.CreateDirectory(upper);
            if (Syscall.chown(upper, checked((int)uid), checked((int)gid)) != 0)
                throw new MountException($"chown of {upper} to {uid}:{gid} failed: {Stdlib.GetLastError()}", (int)Stdlib.GetLastError());
        }
        IdmappedMount.MountOverlay(layout, userns.Path, stagingDir);
    }
}
