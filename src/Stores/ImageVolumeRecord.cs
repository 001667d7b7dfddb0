namespace CriShim.Stores;

/// <summary>
/// An image mounted read-only into a container (CRI Mount.image, KEP-4639): its layers stacked at
/// <see cref="MountDir"/> on the host, bound at <see cref="ContainerPath"/> (or its <see cref="SubPath"/>).
/// </summary>
public sealed record ImageVolumeRecord(string ContainerPath, string ImageId, string MountDir, IReadOnlyList<string> LayerDirs, string? SubPath = null);
