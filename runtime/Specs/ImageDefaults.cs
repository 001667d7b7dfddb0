namespace CriShim.Oci.Specs;

/// <summary>The parts of an image's config that shape how its containers start.</summary>
public sealed record ImageDefaults
{
    public IReadOnlyList<string> Entrypoint { get; init; } = [];
    public IReadOnlyList<string> Cmd { get; init; } = [];
    /// <summary>"KEY=value" entries.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];
    public string? WorkingDir { get; init; }
    /// <summary>"user", "uid", "user:group" or "uid:gid"; empty = root.</summary>
    public string? User { get; init; }
    public string? StopSignal { get; init; }

    public static ImageDefaults None { get; } = new();
}
