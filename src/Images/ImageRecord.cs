using System.Text.Json.Serialization;

namespace CriShim.Images;

/// <summary>A layer of an image: the compressed blob as the registry served it and the diff ID of its tar.</summary>
public sealed record LayerRef(string Digest, long Size, string MediaType, string DiffId);

/// <summary>
/// A pulled image as the rest of the daemon sees it. <see cref="LayerDirs"/> are the unpacked layers, lowest first,
/// ready to stack as overlay lowerdirs (overlayfs wants them highest first: reverse them).
/// </summary>
public sealed record ImageRecord
{
    /// <summary>"sha256:" + the config digest; the CRI Image.id and PullImageResponse.image_ref.</summary>
    public required string Id { get; init; }
    /// <summary>"docker.io/library/busybox:1.35" style names; a tag belongs to one image at a time.</summary>
    public IReadOnlyList<string> RepoTags { get; init; } = [];
    /// <summary>"docker.io/library/busybox@sha256:..." (the digest the registry resolved the reference to).</summary>
    public IReadOnlyList<string> RepoDigests { get; init; } = [];
    /// <summary>Bytes of the image as pulled: compressed layers plus config.</summary>
    public long Size { get; init; }
    public required ImageConfig Config { get; init; }
    /// <summary>The platform manifest (not an index) the image was built from.</summary>
    public required string ManifestDigest { get; init; }
    public IReadOnlyList<LayerRef> Layers { get; init; } = [];
    /// <summary>Every blob this image keeps alive: indexes, manifests, config, compressed layers.</summary>
    public IReadOnlyList<string> Blobs { get; init; } = [];
    public string Os { get; init; } = "linux";
    public string Architecture { get; init; } = "";
    public DateTimeOffset PulledAt { get; init; }

    /// <summary>Absolute unpacked layer directories, lowest first, each once. Filled by the store, not persisted.</summary>
    [JsonIgnore] public IReadOnlyList<string> LayerDirs { get; init; } = [];

    public string ConfigDigest => Id;
}
