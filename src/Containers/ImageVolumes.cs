using CriShim.Errors;
using CriShim.Images;
using CriShim.Oci.Rootfs;
using CriShim.Stores;
using Runtime.V1;

namespace CriShim.Containers;

/// <summary>
/// Image volumes (CRI Mount.image): each named image, already pulled, is stacked read-only from its unpacked layers
/// (an overlay without upper directory) under the container's bundle, and that directory is bound into the container.
/// </summary>
public static class ImageVolumes
{
    /// <summary>Where a container's image volumes are stacked: BUNDLE/volumes/N.</summary>
    public static string VolumesDir(string bundleDir) => Path.Combine(bundleDir, "volumes");

    /// <summary>The image volumes a config asks for; an image that is not pulled is NotFound (nothing is made yet).</summary>
    public static IReadOnlyList<ImageVolumeRecord> Plan(ContainerConfig config, ImageStore images, string bundleDir)
    {
        var volumes = new List<ImageVolumeRecord>();
        foreach (var mount in config.Mounts)
        {
            if (mount.Image is not { Image.Length: > 0 } spec) continue;
            if (!string.IsNullOrEmpty(mount.HostPath))
                throw DomainException.Invalid($"mount at \"{mount.ContainerPath}\" sets both host_path and image; set one");
            var subPath = CleanSubPath(mount.ImageSubPath, mount.ContainerPath);
            ImageRecord? image;
            try { image = images.Resolve(spec.Image); }
            catch (ImageException e) { throw DomainException.Invalid($"image volume at \"{mount.ContainerPath}\": {e.Message}"); }
            if (image is null)
                throw DomainException.NotFound($"image \"{spec.Image}\" of the volume at \"{mount.ContainerPath}\" is not pulled; pull it first");
            volumes.Add(new ImageVolumeRecord(mount.ContainerPath, image.Id,
                Path.Combine(VolumesDir(bundleDir), volumes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)), image.LayerDirs, subPath));
        }
        return volumes;
    }

    /// <summary>
    /// image_sub_path as a clean relative path (null for the whole image); absolute paths and ".." are refused so the
    /// volume cannot name anything outside its image.
    /// </summary>
    public static string? CleanSubPath(string? subPath, string containerPath)
    {
        if (string.IsNullOrEmpty(subPath)) return null;
        if (subPath.StartsWith('/'))
            throw DomainException.Invalid($"image_sub_path \"{subPath}\" of the volume at \"{containerPath}\" must be relative to the image root");
        var parts = subPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains(".."))
            throw DomainException.Invalid($"image_sub_path \"{subPath}\" of the volume at \"{containerPath}\" must not contain \"..\"");
        return parts.Count == 0 ? null : string.Join('/', parts);
    }

    /// <summary>
    /// Stacks every volume read-only (over idmapped layers in a pod with a user namespace, so image files owned by root
    /// are the pod root's); returns container path → host source to bind. Undone by <see cref="UnmountAll"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> MountAll(IReadOnlyList<ImageVolumeRecord> volumes, string? userNsPath = null)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var volume in volumes)
        {
            var layout = new OverlayLayout(volume.LayerDirs, null, null, volume.MountDir, ReadOnly: true);
            if (userNsPath is null) OverlayRootfs.Mount(layout);
            else IdmappedMount.MountOverlay(layout, userNsPath, volume.MountDir + ".idmap");
            sources[volume.ContainerPath] = SourceOf(volume);
        }
        return sources;
    }

    /// <summary>The directory or file to bind: the stacked image, or its sub path resolved without leaving it.</summary>
    static string SourceOf(ImageVolumeRecord volume)
    {
        if (volume.SubPath is null) return volume.MountDir;
        string? resolved;
        try { resolved = ContainedPath.Resolve(volume.MountDir, volume.SubPath); }
        catch (ArgumentException)
        {
            throw DomainException.Invalid($"image_sub_path \"{volume.SubPath}\" of the volume at \"{volume.ContainerPath}\" leads outside image {volume.ImageId} (a symlink)");
        }
        if (resolved is null)
            throw DomainException.NotFound($"image_sub_path \"{volume.SubPath}\" does not exist in image {volume.ImageId} (volume at \"{volume.ContainerPath}\")");
        return resolved;
    }

    /// <summary>Unmounts every stacked volume under the bundle (whether or not the record lists it). Idempotent.</summary>
    public static void UnmountAll(string bundleDir)
    {
        var dir = VolumesDir(bundleDir);
        if (!Directory.Exists(dir)) return;
        foreach (var volume in Directory.EnumerateDirectories(dir))
        {
            OverlayRootfs.Unmount(volume);
            Directory.Delete(volume);
        }
        Directory.Delete(dir);
    }
}
