using CriShim.Images;
using CriShim.Stores;

namespace CriShim.Containers;

/// <summary>Tells the image store which layer directories existing containers still stack (rootfs and image volumes)
/// and which images they mount as volumes.</summary>
public sealed class ContainerLayerUsers(ContainerStore containers) : ILayerUsers
{
    public IEnumerable<string> LayerDirsInUse() =>
        containers.All.SelectMany(c => c.LayerDirs.Concat(c.ImageVolumes.SelectMany(v => v.LayerDirs)));

    public string? ImageUser(string imageId) =>
        containers.All.FirstOrDefault(c => c.ImageVolumes.Any(v => v.ImageId == imageId)) is { } c
            ? $"container \"{c.Id}\" ({c.Name}) mounts it as a volume" : null;
}
