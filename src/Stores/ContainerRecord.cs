namespace CriShim.Stores;

public enum ContainerRunState { Created, Running, Exited, Unknown }

/// <summary>A container as persisted under ROOT/containers. Transitions are made with `with`.</summary>
public sealed record ContainerRecord : IRecord
{
    public required string Id { get; init; }
    public required string PodId { get; init; }
    public required string Name { get; init; }
    public uint Attempt { get; init; }
    /// <summary>The CRI ContainerConfig as protobuf bytes.</summary>
    public required byte[] Config { get => _config; init { _config = value; _parsed = null; } }
    byte[] _config = [];
    global::Runtime.V1.ContainerConfig? _parsed;

    /// <summary>The config parsed once per record (List/Status answer from it on every call). Callers must not change it.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public global::Runtime.V1.ContainerConfig ParsedConfig => _parsed ??= global::Runtime.V1.ContainerConfig.Parser.ParseFrom(_config);
    /// <summary>The image as the client named it, and the resolved image ID (sha256:...).</summary>
    public required string ImageRef { get; init; }
    public required string ImageId { get; init; }
    public string ImageRepoDigest { get; init; } = "";
    public ContainerRunState State { get; init; } = ContainerRunState.Created;
    /// <summary>True once CreateContainer completed; a record without it after a crash is half-created.</summary>
    public bool Complete { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public int ExitCode { get; init; }
    public string Reason { get; init; } = "";
    public string Message { get; init; } = "";
    public required string BundleDir { get; init; }
    public required string RootfsDir { get; init; }
    public string LogPath { get; init; } = "";
    public int Pid { get; init; }
    public string StopSignal { get; init; } = "SIGTERM";
    /// <summary>The image layer directories under the rootfs overlay (kept while the container exists).</summary>
    public IReadOnlyList<string> LayerDirs { get; init; } = [];
    /// <summary>Images mounted as volumes; their layers and images stay in use while the container exists.</summary>
    public IReadOnlyList<ImageVolumeRecord> ImageVolumes { get; init; } = [];

    public string ReservedName => $"{Name}_{PodId}_{Attempt}";
}
