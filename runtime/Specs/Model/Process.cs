namespace CriShim.Oci.Specs.Model;

/// <summary>The container's init process.</summary>
public sealed record Process
{
    public bool Terminal { get; init; }
    public User User { get; init; } = new();
    public IReadOnlyList<string> Args { get; init; } = [];
    public IReadOnlyList<string>? Env { get; init; }
    public string Cwd { get; init; } = "/";
    public Capabilities? Capabilities { get; init; }
    public IReadOnlyList<Rlimit>? Rlimits { get; init; }
    public bool NoNewPrivileges { get; init; }
    public string? ApparmorProfile { get; init; }
    public int? OomScoreAdj { get; init; }
}

/// <summary>The uid/gid the process runs as.</summary>
public sealed record User
{
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    public uint? Umask { get; init; }
    public IReadOnlyList<uint>? AdditionalGids { get; init; }
}

/// <summary>Capability sets, each a list of <c>CAP_*</c> names.</summary>
public sealed record Capabilities
{
    public IReadOnlyList<string>? Bounding { get; init; }
    public IReadOnlyList<string>? Effective { get; init; }
    public IReadOnlyList<string>? Permitted { get; init; }
    public IReadOnlyList<string>? Inheritable { get; init; }
    public IReadOnlyList<string>? Ambient { get; init; }
}

public sealed record Rlimit(string Type, ulong Hard, ulong Soft);
