namespace CriShim.Streaming;

/// <summary>
/// How the streaming server finds what a request targets; the daemon implements it over its pod and container
/// stores. Both lookups answer null when the object does not exist or is not running/ready.
/// </summary>
public interface IStreamingTargets
{
    Task<ContainerTarget?> FindRunningContainerAsync(string containerId, CancellationToken ct);
    Task<PodTarget?> FindReadyPodAsync(string podSandboxId, CancellationToken ct);
}

/// <summary>
/// A running container as exec and attach need it. RuncId is the id runc knows it by; AttachSocketPath is
/// conmon's attach socket (&lt;socket-dir&gt;/&lt;id&gt;/attach), ControlFifoPath its ctl fifo (null: no resizes).
/// </summary>
public sealed record ContainerTarget(
    string Id,
    string RuncId,
    string RuncBinary,
    string RuncRoot,
    string AttachSocketPath,
    string? ControlFifoPath,
    bool Tty,
    bool Stdin);

/// <summary>A ready pod sandbox: the path of its network namespace (e.g. /run/netns/cni-..., /proc/PID/ns/net).</summary>
public sealed record PodTarget(string Id, string NetNsPath);
