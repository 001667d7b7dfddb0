using CriShim.Images;
using CriShim.Stores;

namespace CriShim.Containers;

/// <summary>Tells the image store which layer directories existing containers still stack in their rootfs.</summary>
public sealed class ContainerLayerUsers(ContainerStore containers) : ILayerUsers
{
    public IEnumerable<string> LayerDirsInUse() => containers.All.SelectMany(c => c.LayerDirs);
}
