namespace CriShim.Oci.Specs.Model;

/// <summary>A seccomp filter in OCI form.</summary>
public sealed record LinuxSeccomp
{
    public required string DefaultAction { get; init; }
    public uint? DefaultErrnoRet { get; init; }
    public IReadOnlyList<string>? Architectures { get; init; }
    public IReadOnlyList<string>? Flags { get; init; }
    public IReadOnlyList<LinuxSyscall>? Syscalls { get; init; }
}

public sealed record LinuxSyscall
{
    public required IReadOnlyList<string> Names { get; init; }
    public required string Action { get; init; }
    public uint? ErrnoRet { get; init; }
    public IReadOnlyList<LinuxSeccompArg>? Args { get; init; }
}

public sealed record LinuxSeccompArg(uint Index, ulong Value, ulong ValueTwo, string Op);
