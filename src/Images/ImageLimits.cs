namespace CriShim.Images;

/// <summary>
/// What a registry can make the daemon hold in memory, as containerd and CRI-O bound it: documents over these are
/// refused (<see cref="ImageErrorKind.TooLarge"/>) whether their descriptor declares it or the server just sends more.
/// </summary>
public static class ImageLimits
{
    /// <summary>A manifest, an index or a manifest list.</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;
    /// <summary>An image config blob (parsed whole to read its diff IDs and runtime defaults).</summary>
    public const int MaxConfigBytes = 8 * 1024 * 1024;
    /// <summary>A token server's answer to a bearer challenge.</summary>
    public const int MaxTokenReplyBytes = 1024 * 1024;
    /// <summary>An error body: only its "errors" array is read, for the message.</summary>
    public const int MaxErrorBodyBytes = 64 * 1024;
}
