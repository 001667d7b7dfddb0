using System.Text.Json;
using System.Text.Json.Serialization;

namespace CriShim.Images;

/// <summary>An OCI content descriptor.</summary>
public sealed record Descriptor
{
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("digest")] public string Digest { get; init; } = "";
    [JsonPropertyName("size")] public long Size { get; init; }
    [JsonPropertyName("urls")] public List<string>? Urls { get; init; }
    [JsonPropertyName("platform")] public Platform? Platform { get; init; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; init; }
}

public sealed record Platform
{
    [JsonPropertyName("architecture")] public string Architecture { get; init; } = "";
    [JsonPropertyName("os")] public string Os { get; init; } = "";
    [JsonPropertyName("variant")] public string? Variant { get; init; }

    public override string ToString() => $"{Os}/{Architecture}" + (string.IsNullOrEmpty(Variant) ? "" : "/" + Variant);
}

/// <summary>An OCI index or Docker manifest list.</summary>
public sealed record ImageIndex
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; }
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("manifests")] public List<Descriptor> Manifests { get; init; } = [];
}

/// <summary>An OCI image manifest or Docker schema 2 manifest.</summary>
public sealed record ImageManifest
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; init; }
    [JsonPropertyName("mediaType")] public string? MediaType { get; init; }
    [JsonPropertyName("config")] public Descriptor? Config { get; init; }
    [JsonPropertyName("layers")] public List<Descriptor> Layers { get; init; } = [];
}

/// <summary>The image configuration blob (OCI image-spec config.json); only what the runtime needs is typed.</summary>
public sealed record ImageConfigFile
{
    [JsonPropertyName("architecture")] public string? Architecture { get; init; }
    [JsonPropertyName("os")] public string? Os { get; init; }
    [JsonPropertyName("variant")] public string? Variant { get; init; }
    [JsonPropertyName("config")] public ContainerConfigJson? Config { get; init; }
    [JsonPropertyName("rootfs")] public RootFsJson? RootFs { get; init; }

    public sealed record ContainerConfigJson
    {
        public string? User { get; init; }
        public Dictionary<string, JsonElement>? ExposedPorts { get; init; }
        public List<string>? Env { get; init; }
        public List<string>? Entrypoint { get; init; }
        public List<string>? Cmd { get; init; }
        public Dictionary<string, JsonElement>? Volumes { get; init; }
        public string? WorkingDir { get; init; }
        public Dictionary<string, string>? Labels { get; init; }
        public string? StopSignal { get; init; }
    }

    public sealed record RootFsJson
    {
        [JsonPropertyName("type")] public string? Type { get; init; }
        [JsonPropertyName("diff_ids")] public List<string> DiffIds { get; init; } = [];
    }
}
