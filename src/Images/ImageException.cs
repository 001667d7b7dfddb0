namespace CriShim.Images;

public enum ImageErrorKind
{
    /// <summary>The reference, or a request, is malformed.</summary>
    Invalid,
    /// <summary>The registry does not have the repository, tag or blob; or the image is not stored locally.</summary>
    NotFound,
    /// <summary>The registry refused our credentials (or asked for some we do not have).</summary>
    Unauthorized,
    /// <summary>The registry could not be reached or kept failing (network, 5xx, 429, timeouts) after retries.</summary>
    Unavailable,
    /// <summary>Content did not match its digest or size, or a manifest/config is malformed.</summary>
    Corrupt,
    /// <summary>A layer tries to write outside its directory (path traversal, symlink or hardlink escape).</summary>
    Unsafe,
    /// <summary>Content over a limit: a manifest, config or token reply larger than allowed, a layer with more bytes or
    /// entries than configured, a blob longer than its descriptor says.</summary>
    TooLarge,
    /// <summary>Valid content we do not handle (schema 1 manifests, foreign layers, no manifest for this platform).</summary>
    Unsupported,
    /// <summary>The image is mounted by a container (an image volume) and cannot be removed now.</summary>
    InUse,
}

/// <summary>A failure of the image subsystem with a kind the CRI layer maps to a gRPC status.</summary>
public sealed class ImageException(ImageErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public ImageErrorKind Kind { get; } = kind;
}
