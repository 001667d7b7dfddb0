using System.Text.Json;

namespace CriShim.Cri;

// The JSON documents of the verbose Status/PodSandboxStatus/ContainerStatus info maps, as named records so their
// serializers are source-generated (CriShimJsonContext). Property order is the order of the documents' fields.

public sealed record RuntimeHandlerInfo(string Name, string Kind, string Binary, string Command, string Root,
    IReadOnlyList<string> Args, bool Default, string? Problem, IReadOnlyList<string> Notes);

public sealed record PodSandboxInfo(string Id, string RuntimeHandler, string PodDir, string? NetNsPath, string? IpcNsPath,
    string? UtsNsPath, string? InfraContainerId, string CgroupParent, string State, JsonElement Config);

public sealed record ContainerInfo(string Id, string SandboxId, int Pid, string BundleDir, string RootfsDir, string State,
    JsonElement Config, JsonElement? RuntimeSpec);
