namespace CriShim.Images;

/// <summary>
/// Implemented by whoever mounts layers (the container stage): layer directories listed here survive the removal
/// of their last image until no container uses them (they are collected by a later RemoveImage).
/// </summary>
public interface ILayerUsers
{
    IEnumerable<string> LayerDirsInUse();

    /// <summary>Who mounts the image itself (as a volume), which makes RemoveImage refuse it; null when nobody does.</summary>
    string? ImageUser(string imageId) => null;
}
