namespace CriShim.Oci.Specs.Model;

/// <summary>The OCI runtime-spec <c>config.json</c> document. Null members are omitted when serialized.</summary>
public sealed record Spec
{
    public string OciVersion { get; init; } = "1.0.2-dev";
    public Process? Process { get; init; }
    public Root? Root { get; init; }
    public string? Hostname { get; init; }
    public IReadOnlyList<Mount>? Mounts { get; init; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
    public Linux? Linux { get; init; }

    /// <summary>An empty spec with an empty process and linux section, the seed every builder starts from.</summary>
    public static Spec Empty { get; } = new() { Process = new Process(), Linux = new Linux() };
}

/// <summary>The container's root filesystem.</summary>
public sealed record Root(string Path, bool Readonly = false);

/// <summary>A mount entry of <c>config.json</c>.</summary>
public sealed record Mount(string Destination, string Type, string Source, IReadOnlyList<string>? Options = null);
