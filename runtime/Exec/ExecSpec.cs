namespace CriShim.Oci.Exec;

/// <summary>
/// What to run in a running container: the runc binary and root come from the container's handle, conmon is the
/// daemon's monitor binary; ScratchDir is a private directory for the session (process spec, conmon's attach
/// socket and fifos, pid and log files), created and removed by <see cref="ExecProcess"/>. Keep it short: the
/// attach socket path below it must fit in a unix socket address.
/// </summary>
public sealed record ExecSpec(
    string ConmonBinary,
    string RuncBinary,
    string RuncRoot,
    string ContainerId,
    IReadOnlyList<string> Command,
    bool Tty,
    bool Stdin,
    string ScratchDir);
