using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using CriShim.Stores;

namespace CriShim.Containers;

/// <summary>What restart recovery does with one container record (or what it must learn first).</summary>
public enum ContainerRecoveryAction
{
    /// <summary>Half-created, or its pod is gone: tear down what it made and delete the record.</summary>
    TearDown,
    /// <summary>The record is right as it is.</summary>
    Keep,
    /// <summary>Complete and not exited: conmon's exit file and the handler decide next (<see cref="RecoveryDecision.ForMonitor"/>).</summary>
    ReadExitFile,
    /// <summary>No exit file and a usable handler: the runtime's state decides (<see cref="RecoveryDecision.ForRuntime"/>).</summary>
    AskRuntime,
    /// <summary>It exited while the daemon was down: record <see cref="ContainerRecovery.Exit"/>.</summary>
    RecordExit,
    /// <summary>Its state cannot be learned (the handler is unusable): reported CONTAINER_UNKNOWN with <see cref="ContainerRecovery.Problem"/>.</summary>
    Unknown,
    /// <summary>The runtime holds it created while the record says unknown: back to created.</summary>
    MarkCreated,
    /// <summary>The runtime runs it while the record says created or unknown: running.</summary>
    MarkRunning,
}

/// <summary>One step of a container's recovery: the action, with the exit to record or the problem to report.</summary>
public sealed record ContainerRecovery(ContainerRecoveryAction Action, ContainerExit? Exit = null, string Problem = "");

/// <summary>What restart recovery does with one pod record.</summary>
public enum PodRecoveryAction
{
    /// <summary>Half-created: tear down what it made and delete the record.</summary>
    TearDown,
    /// <summary>The record is right as it is.</summary>
    Keep,
    /// <summary>It was ready but its pinned network namespace is gone (a reboot): it can no longer be ready.</summary>
    MarkNotReady,
}

/// <summary>
/// The decisions of restart recovery, apart from the I/O that feeds and executes them (<see cref="Supervisor"/>):
/// a container's record is reconciled in steps, each asking only what the one before could not answer, so the
/// runtime is asked only when conmon's exit file is absent and its handler usable.
/// </summary>
public static class RecoveryDecision
{
    /// <summary>From the record alone: torn down when half-created or orphaned, kept when it already exited,
    /// otherwise its exit file is read.</summary>
    public static ContainerRecovery ForRecord(ContainerRecord record, bool podExists) =>
        !record.Complete || !podExists ? new(ContainerRecoveryAction.TearDown)
        : record.State is ContainerRunState.Exited ? new(ContainerRecoveryAction.Keep)
        : new(ContainerRecoveryAction.ReadExitFile);

    /// <summary>From conmon's exit file, which needs no runtime (an exit while the daemon was down is seen even if the
    /// runtime is gone), then the handler's problem (null when it is usable).</summary>
    public static ContainerRecovery ForMonitor(ContainerExit? exitFile, string handlerName, string? handlerProblem) =>
        exitFile is not null ? new(ContainerRecoveryAction.RecordExit, exitFile)
        : handlerProblem is not null ? new(ContainerRecoveryAction.Unknown, Problem: $"runtime handler \"{handlerName}\": {handlerProblem}")
        : new(ContainerRecoveryAction.AskRuntime);

    /// <summary>From the runtime's state (null when it has none for the container), seen at <paramref name="now"/>. Stopped or
    /// gone with no exit file, its real exit code was lost while the daemon was down: 255 is recorded.</summary>
    public static ContainerRecovery ForRuntime(ContainerRecord record, RuncState? state, DateTimeOffset now)
    {
        if (state is null || state.IsStopped)
            return new(ContainerRecoveryAction.RecordExit, new ContainerExit(record.Id, ContainerExitCodes.Unknown, now));
        if (state.IsCreated)
            return new(record.State == ContainerRunState.Unknown ? ContainerRecoveryAction.MarkCreated : ContainerRecoveryAction.Keep);
        return new(record.State is ContainerRunState.Created or ContainerRunState.Unknown ? ContainerRecoveryAction.MarkRunning : ContainerRecoveryAction.Keep);
    }

    /// <summary>The record once marked created.</summary>
    public static ContainerRecord MarkedCreated(ContainerRecord r) => r with { State = ContainerRunState.Created, Reason = "", Message = "" };

    /// <summary>The record once marked running; a start time it lacks is <paramref name="now"/>.</summary>
    public static ContainerRecord MarkedRunning(ContainerRecord r, DateTimeOffset now) =>
        r with { State = ContainerRunState.Running, StartedAt = r.StartedAt ?? now, Reason = "", Message = "" };

    /// <summary>The record once its recovery failed: CONTAINER_UNKNOWN with the reason (the next start tries again),
    /// unless it already exited.</summary>
    public static ContainerRecord MarkedUnknown(ContainerRecord r, string why) => r.State == ContainerRunState.Exited ? r
        : r with { State = ContainerRunState.Unknown, Reason = ContainerExitReasons.RecoveryFailed, Message = $"state after the daemon restart is unknown: {why}" };

    /// <summary>A pod: torn down when half-created; a ready one whose pinned network namespace is gone (asked of
    /// <paramref name="pathExists"/> only then) becomes not ready.</summary>
    public static PodRecoveryAction ForPod(PodRecord pod, Func<string, bool> pathExists) =>
        !pod.Complete ? PodRecoveryAction.TearDown
        : pod.State == PodState.Ready && pod.NetNsPath is { } netns && !pathExists(netns) ? PodRecoveryAction.MarkNotReady
        : PodRecoveryAction.Keep;
}
