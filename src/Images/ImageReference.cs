using System.Text.RegularExpressions;

namespace CriShim.Images;

/// <summary>
/// A normalized image reference, as Kubernetes and docker spell it: "busybox" is
/// "docker.io/library/busybox:latest"; a reference with a digest keeps the digest (and may keep a tag).
/// </summary>
public sealed partial record ImageReference(string Domain, string Path, string? Tag, Digest? Digest)
{
    public const string DockerHub = "docker.io";
    const int MaxNameLength = 255;

    /// <summary>"domain/path", e.g. "docker.io/library/busybox".</summary>
    public string Name => $"{Domain}/{Path}";

    /// <summary>The tag or the digest to ask the registry for (the digest wins when both are given).</summary>
    public string RegistryReference => Digest?.ToString() ?? Tag ?? "latest";

    /// <summary>"name:tag" when a tag is known, or null for a pure digest reference.</summary>
    public string? TaggedName => Tag is null ? null : $"{Name}:{Tag}";

    public string DigestedName(Digest digest) => $"{Name}@{digest}";

    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>Parses and normalizes a reference; a missing tag and digest become ":latest".</summary>
    public static ImageReference Parse(string value) =>
        TryParse(value, out var reference, out var error) ? reference : throw new FormatException(error);

    public static bool TryParse(string? value, out ImageReference reference, out string error)
    {
        reference = null!;
        if (string.IsNullOrWhiteSpace(value)) { error = "image reference is empty"; return false; }
        var rest = value;
        Digest? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            if (!Images.Digest.TryParse(rest[(at + 1)..], out var d)) { error = $"invalid reference \"{value}\": bad digest"; return false; }
            digest = d;
            rest = rest[..at];
        }
        string? tag = null;
        var colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag)) { error = $"invalid reference \"{value}\": bad tag \"{tag}\""; return false; }
        }
        if (rest.Length == 0) { error = $"invalid reference \"{value}\": no repository name"; return false; }
        if (digest is null && tag is null && HexId().IsMatch(rest))
        {
            error = $"invalid reference \"{value}\": a 64-hex string is an image ID, not a repository name"; return false;
        }

        string domain, path;
        var slash = rest.IndexOf('/');
        var first = slash < 0 ? "" : rest[..slash];
        if (slash >= 0 && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper)))
        {
            domain = first;
            path = rest[(slash + 1)..];
        }
        else
        {
            domain = DockerHub;
            path = rest;
        }
        if (domain == "index.docker.io") domain = DockerHub;
        if (domain == DockerHub && !path.Contains('/')) path = "library/" + path;

        if (!DomainPattern().IsMatch(domain)) { error = $"invalid reference \"{value}\": bad registry host \"{domain}\""; return false; }
        if (path.Any(char.IsUpper)) { error = $"invalid reference \"{value}\": repository name must be lowercase"; return false; }
        if (!PathPattern().IsMatch(path)) { error = $"invalid reference \"{value}\": bad repository name \"{path}\""; return false; }
        if (domain.Length + 1 + path.Length > MaxNameLength) { error = $"invalid reference \"{value}\": name longer than {MaxNameLength} characters"; return false; }

        if (tag is null && digest is null) tag = "latest";
        reference = new ImageReference(domain, path, tag, digest);
        error = "";
        return true;
    }

    /// <summary>True for "sha256:&lt;64 hex&gt;" or a bare 64-hex string: an image ID, not a name.</summary>
    public static bool LooksLikeImageId(string value) =>
        HexId().IsMatch(value) || Images.Digest.TryParse(value, out _);

    [GeneratedRegex(@"^[\w][\w.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^[a-f0-9]{64}$")]
    private static partial Regex HexId();

    // host (dns labels, optionally an IPv6 literal in brackets) and optional port
    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$")]
    private static partial Regex DomainPattern();

    // path components of lowercase alphanumerics joined by ".", "_", "__" or any run of "-"
    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex PathPattern();
}
