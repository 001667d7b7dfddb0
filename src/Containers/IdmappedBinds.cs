using CriShim.Errors;
using CriShim.Oci.Specs;
using CriShim.Oci.Rootfs;
using Runtime.V1;
using OciIdMapping = CriShim.Oci.Specs.Model.IdMapping;

namespace CriShim.Containers;

/// <summary>
/// Bind mounts with uid/gid mappings (kubelet sets the pod's mappings on the volumes of a pod in a user namespace):
/// an idmapped clone of the host path, made through the pod's pinned user namespace, is staged under the bundle and
/// bound instead, so files host root owns there are the pod root's inside. Only the pod's own mappings are possible
/// (the clone needs a user namespace with the mapping, and the pod's is the one there is).
/// </summary>
public static class IdmappedBinds
{
    public static string StagingDir(string bundleDir) => Path.Combine(bundleDir, "idmapped");

    /// <summary>Stages every mapped mount; returns container path → staged source. Undone by <see cref="UnmountAll"/>.</summary>
    public static IReadOnlyDictionary<string, string> Stage(ContainerConfig config, UserNamespaceInput? userns, string bundleDir)
    {
        var staged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var mount in config.Mounts)
        {
            if (mount.UidMappings.Count == 0 && mount.GidMappings.Count == 0) continue;
            if (mount.Image is { Image.Length: > 0 }) continue; // image volumes follow the pod's user namespace anyway
            if (userns is null)
                throw DomainException.Invalid($"mount at \"{mount.ContainerPath}\" has uid/gid mappings but the pod has no user namespace (userns_options mode POD)");
            if (!Same(mount.UidMappings, userns.Uids) || !Same(mount.GidMappings, userns.Gids))
                throw DomainException.Invalid($"mount at \"{mount.ContainerPath}\": uid_mappings/gid_mappings must be the pod's user namespace mappings");
            string source;
            try { source = ContainerSpecGenerator.ResolveSource(mount.HostPath); }
            catch (SpecException e) { throw DomainException.Invalid(e.Message); }
            var target = Path.Combine(StagingDir(bundleDir), staged.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(StagingDir(bundleDir));
            if (Directory.Exists(source)) Directory.CreateDirectory(target);
            else File.WriteAllBytes(target, []);
            IdmappedMount.Clone(source, target, userns.Path);
            staged[mount.ContainerPath] = target;
        }
        return staged;
    }

    static bool Same(IEnumerable<IDMapping> requested, IReadOnlyList<OciIdMapping> pod) =>
        requested.Select(m => new OciIdMapping(m.ContainerId, m.HostId, m.Length)).ToHashSet().SetEquals(pod);

    /// <summary>Unmounts and removes everything staged under the bundle. Idempotent.</summary>
    public static void UnmountAll(string bundleDir)
    {
        var dir = StagingDir(bundleDir);
        if (!Directory.Exists(dir)) return;
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
        {
            Unmounter.Unmount(entry);
            if (Directory.Exists(entry)) Directory.Delete(entry);
            else File.Delete(entry);
        }
        Directory.Delete(dir);
    }
}
