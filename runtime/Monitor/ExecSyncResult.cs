namespace CriShim.Oci.Monitor;

/// <summary>Result of a synchronous exec. <see cref="TimedOut"/>: the process was killed at the deadline
/// (<see cref="ExitCode"/> is then what the kill produced, normally 137).</summary>
public sealed record ExecSyncResult(int ExitCode, byte[] Stdout, byte[] Stderr, bool TimedOut, bool OutputTruncated);

/// <summary>The exec could not run at all (no such container, container not running, or runc refused the process,
/// e.g. executable not found); the message is runc's.</summary>
public sealed class ContainerExecException(string containerId, string message)
    : Exception($"exec in container {containerId}: {message}");
