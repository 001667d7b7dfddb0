namespace CriShim.Images;

/// <summary>The manifest, config and layer media types the puller understands.</summary>
public static class MediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
    public const string DockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /// <summary>What we send as Accept when resolving a reference.</summary>
    public static readonly string[] ManifestAccept = [OciIndex, DockerManifestList, OciManifest, DockerManifest];

    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;
    public static bool IsManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;
    public static bool IsSchema1(string? mediaType) => mediaType is DockerSchema1 or DockerSchema1Signed;

    /// <summary>Layer media types we can unpack: tar, tar+gzip, tar+zstd (OCI and Docker, distributable or not).</summary>
    public static bool IsLayer(string? mediaType) => mediaType is not null && (
        mediaType.StartsWith("application/vnd.oci.image.layer.", StringComparison.Ordinal) ||
        mediaType.StartsWith("application/vnd.docker.image.rootfs.", StringComparison.Ordinal));
}
