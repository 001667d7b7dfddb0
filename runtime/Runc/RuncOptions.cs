namespace CriShim.Oci.Runc;

/// <summary>Options of `runc create`.</summary>
public sealed record RuncCreateOptions
{
    public string? PidFile { get; init; }
    /// <summary>Unix socket that receives the pty master when the config asks for a terminal.</summary>
    public string? ConsoleSocket { get; init; }
    public bool NoPivot { get; init; }
}

/// <summary>One process to run in a running container: either <see cref="Args"/> (the container's own process
/// settings are kept, runc only replaces the arguments) or a full OCI process spec file.</summary>
public sealed record RuncExecOptions
{
    public IReadOnlyList<string>? Args { get; init; }
    public string? ProcessJsonPath { get; init; }
    public bool Tty { get; init; }
    public string? ConsoleSocket { get; init; }
    public string? PidFile { get; init; }
    public IReadOnlyList<string> Env { get; init; } = [];
    public string? Cwd { get; init; }
    /// <summary>uid[:gid]</summary>
    public string? User { get; init; }
}

