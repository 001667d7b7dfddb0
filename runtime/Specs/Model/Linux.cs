using System.Text.Json.Serialization;

namespace CriShim.Oci.Specs.Model;

/// <summary>The Linux-specific part of the spec.</summary>
public sealed record Linux
{
    public IReadOnlyList<LinuxNamespace>? Namespaces { get; init; }
    public IReadOnlyList<IdMapping>? UidMappings { get; init; }
    public IReadOnlyList<IdMapping>? GidMappings { get; init; }
    public LinuxResources? Resources { get; init; }
    public string? CgroupsPath { get; init; }
    public IReadOnlyDictionary<string, string>? Sysctl { get; init; }
    public LinuxSeccomp? Seccomp { get; init; }
    public IReadOnlyList<string>? MaskedPaths { get; init; }
    public IReadOnlyList<string>? ReadonlyPaths { get; init; }
    public IReadOnlyList<LinuxDevice>? Devices { get; init; }
    public string? RootfsPropagation { get; init; }
    public string? MountLabel { get; init; }
}

/// <summary>A namespace the container gets: a new one (no path) or an existing one joined by path.</summary>
public sealed record LinuxNamespace(string Type, string? Path = null)
{
    public const string Pid = "pid", Network = "network", Mount = "mount", Ipc = "ipc", Uts = "uts", User = "user", Cgroup = "cgroup";
}

public sealed record IdMapping(
    [property: JsonPropertyName("containerID")] uint ContainerId,
    [property: JsonPropertyName("hostID")] uint HostId,
    uint Size);

/// <summary>A device node runc creates inside the container.</summary>
public sealed record LinuxDevice
{
    public required string Path { get; init; }
    /// <summary>"c", "b", "u" or "p".</summary>
    public required string Type { get; init; }
    public long Major { get; init; }
    public long Minor { get; init; }
    public uint? FileMode { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }
}
