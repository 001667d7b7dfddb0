namespace CriShim.Images;

/// <summary>The runtime defaults an image carries (its config's "config" object), as the container stage needs them.</summary>
public sealed record ImageConfig
{
    public IReadOnlyList<string> Entrypoint { get; init; } = [];
    public IReadOnlyList<string> Cmd { get; init; } = [];
    public IReadOnlyList<string> Env { get; init; } = [];
    public string WorkingDir { get; init; } = "";
    /// <summary>"", "uid", "name", "uid:gid", "name:group"...: as written in the image.</summary>
    public string User { get; init; } = "";
    public string StopSignal { get; init; } = "";
    public IReadOnlyList<string> Volumes { get; init; } = [];
    /// <summary>"80/tcp" style keys.</summary>
    public IReadOnlyList<string> ExposedPorts { get; init; } = [];
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public static ImageConfig From(ImageConfigFile file)
    {
        var c = file.Config;
        if (c is null) return new ImageConfig();
        return new ImageConfig
        {
            Entrypoint = c.Entrypoint ?? [],
            Cmd = c.Cmd ?? [],
            Env = c.Env ?? [],
            WorkingDir = c.WorkingDir ?? "",
            User = c.User ?? "",
            StopSignal = c.StopSignal ?? "",
            Volumes = c.Volumes?.Keys.Order(StringComparer.Ordinal).ToList() ?? [],
            ExposedPorts = c.ExposedPorts?.Keys.Order(StringComparer.Ordinal).ToList() ?? [],
            Labels = c.Labels ?? new Dictionary<string, string>(),
        };
    }

    /// <summary>The numeric uid of User when it is numeric ("1002" or "1002:5"), else null.</summary>
    public long? Uid => UserPart is { } u && long.TryParse(u, out var uid) ? uid : null;

    /// <summary>The user name of User when it is not numeric ("www-data" or "www-data:1004"), else "".</summary>
    public string Username => UserPart is { } u && !long.TryParse(u, out _) ? u : "";

    string? UserPart => string.IsNullOrEmpty(User) ? null : User.Split(':')[0] is { Length: > 0 } u ? u : null;
}
