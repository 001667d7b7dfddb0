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
/// A running container as exec and attach need it. RuncId is the id runc knows it by; Monitor is its runtime
/// handler's conmon monitor, which runs execs in it (as it runs ExecSync); AttachSocketPath is conmon's attach socket (&lt;socket-dir&gt;/&lt;id&gt;/attach),
/// ControlFifoPath its ctl fifo (null: no resizes). Tty and Stdin are the container's own settings (CRI
/// ContainerConfig.tty/stdin); without stdin, attach input is dropped.
/// </summary>
public sealed record ContainerTarget(
    string Id,
    string RuncId,
    CriShim.Oci.Monitor.ContainerMonitor Monitor,
    string AttachSocketPath,
    string? ControlFifoPath,
    bool Tty,
    bool Stdin);

/// <summary>A ready pod sandbox: the path of its network namespace (e.g. /run/netns/cni-..., /proc/PID/ns/net).
/// <paramref name="Address"/>, when set, is dialed from the daemon's namespace instead of localhost inside it: a
/// sandboxed runtime (runsc) serves the pod IP from its own network stack, not the namespace's.</summary>
public sealed record PodTarget(string Id, string NetNsPath, System.Net.IPAddress? Address = null);
