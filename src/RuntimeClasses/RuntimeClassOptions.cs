namespace CriShim.RuntimeClasses;

/// <summary>One entry of the "runtimes" config map: a RuntimeClass handler and the OCI runtime behind it.</summary>
public sealed class RuntimeClassOptions
{
    /// <summary>The runtime binary (name on PATH or absolute path); empty means the handler's name.</summary>
    public string Path { get; set; } = "";
    /// <summary>A name in <see cref="RuntimeKinds"/>: "oci" or "sandboxed" (any case).</summary>
    public string Kind { get; set; } = "oci";
    /// <summary>Extra global flags put before every runtime subcommand, written --flag=value.</summary>
    public List<string> Args { get; set; } = [];
    /// <summary>The runtime's --root; empty means STATE/NAME.</summary>
    public string Root { get; set; } = "";

    /// <summary>The handlers configured when the config file names none: runc (the default), crun and runsc.</summary>
    public static Dictionary<string, RuntimeClassOptions> Defaults(string runcPath) => new(StringComparer.Ordinal)
    {
        ["runc"] = new() { Path = runcPath },
        ["crun"] = new() { Path = "crun" },
        // --oci-seccomp: apply the spec's seccomp profile inside the sandbox too (runsc ignores it otherwise).
        ["runsc"] = new() { Path = "runsc", Kind = "sandboxed", Args = ["--oci-seccomp"] },
    };
}
