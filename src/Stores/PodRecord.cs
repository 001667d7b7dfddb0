namespace CriShim.Stores;

public enum PodState { Ready, NotReady }

/// <summary>A pod sandbox as persisted under ROOT/pods. Transitions are made with `with`.</summary>
public sealed record PodRecord : IRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Namespace { get; init; }
    public required string Uid { get; init; }
    public uint Attempt { get; init; }
    /// <summary>The CRI PodSandboxConfig as protobuf bytes: status/list answers are built from it.</summary>
    public required byte[] Config { get => _config; init { _config = value; _parsed = null; } }
    byte[] _config = [];
    global::Runtime.V1.PodSandboxConfig? _parsed;

    /// <summary>The config parsed once per record (List/Status answer from it on every call). Callers must not change it.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public global::Runtime.V1.PodSandboxConfig ParsedConfig => _parsed ??= global::Runtime.V1.PodSandboxConfig.Parser.ParseFrom(_config);
    public required string RuntimeHandler { get; init; }
    public PodState State { get; init; } = PodState.NotReady;
    /// <summary>True once RunPodSandbox completed; a record without it after a crash is half-created.</summary>
    public bool Complete { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Directory with the pod's hostname, hosts, resolv.conf and shm.</summary>
    public required string PodDir { get; init; }
    public string? NetNsPath { get; init; }
    public string? IpcNsPath { get; init; }
    public string? UtsNsPath { get; init; }
    /// <summary>The pod's pinned user namespace (userns_options mode POD), owner of its other namespaces.</summary>
    public string? UserNsPath { get; init; }
    /// <summary>Infra container holding the pod PID namespace, when the pod shares one.</summary>
    public string? InfraContainerId { get; init; }
    public string? Ip { get; init; }
    public IReadOnlyList<string> AdditionalIps { get; init; } = [];
    public bool NetworkSetUp { get; init; }
    public string CgroupParent { get; init; } = "";

    public string ReservedName => $"{Name}_{Namespace}_{Uid}_{Attempt}";
}
