using CriShim.Errors;

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

/// <summary>A failure of the image subsystem; its finer kind drives retries and mirror fallback, <see cref="DomainException.Kind"/> the answer.</summary>
public sealed class ImageException(ImageErrorKind kind, string message, Exception? inner = null)
    : DomainException(ToErrorKind(kind), message, inner)
{
    public ImageErrorKind ImageKind { get; } = kind;

    static ErrorKind ToErrorKind(ImageErrorKind kind) => kind switch
    {
        // a hostile or over-size image is bad input, like a malformed reference
        ImageErrorKind.Invalid or ImageErrorKind.Unsafe or ImageErrorKind.TooLarge => ErrorKind.InvalidArgument,
        ImageErrorKind.NotFound => ErrorKind.NotFound,
        ImageErrorKind.Unauthorized => ErrorKind.Unauthenticated,
        ImageErrorKind.Unavailable => ErrorKind.Unavailable,
        ImageErrorKind.Corrupt => ErrorKind.DataLoss,
        ImageErrorKind.Unsupported or ImageErrorKind.InUse => ErrorKind.FailedPrecondition,
        _ => ErrorKind.Unknown,
    };
}
