namespace CriShim.Runtime.Exec;

/// <summary>
/// What to run in a running container with `runc exec`: the runc binary and root come from the container's
/// handle; ScratchDir is a private directory (console socket, pid file) the caller creates and removes.
/// </summary>
public sealed record ExecSpec(
    string RuncBinary,
    string RuncRoot,
    string ContainerId,
    IReadOnlyList<string> Command,
    bool Tty,
    bool Stdin,
    string ScratchDir);
