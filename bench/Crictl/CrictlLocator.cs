namespace CriShim.Bench.Crictl;

/// <summary>Where crictl was looked for, and the binary found (null: none, the crictl rows read "not measured").</summary>
sealed record CrictlLookup(string? Path, string Searched);

/// <summary>Finds crictl: the --crictl path if given, else `crictl` on PATH, else /opt/critools/crictl.</summary>
static class CrictlLocator
{
    public const string Fallback = "/opt/critools/crictl";

    public static CrictlLookup Find(string? explicitPath, string? pathVariable, Func<string, bool> isExecutable)
    {
        if (explicitPath is not null)
            return new(isExecutable(explicitPath) ? System.IO.Path.GetFullPath(explicitPath) : null, $"--crictl {explicitPath}");
        var dirs = (pathVariable ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (var dir in dirs)
        {
            var candidate = System.IO.Path.Combine(dir, "crictl");
            if (isExecutable(candidate)) return new(candidate, "PATH");
        }
        return new(isExecutable(Fallback) ? Fallback : null, $"PATH and {Fallback}");
    }

    public static bool IsExecutable(string path) =>
        OperatingSystem.IsLinux() && File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
