using CriShim.Oci.Monitor;

namespace CriShim.Containers;

/// <summary>The reasons recorded for a container that is no longer running, as ContainerStatus reports them (and
/// kubelet shows them): the values containerd and CRI-O use.</summary>
public static class ContainerExitReasons
{
    /// <summary>Exited with 0, or stopped without the monitor seeing an exit code.</summary>
    public const string Completed = "Completed";
    /// <summary>Exited with a non-zero code.</summary>
    public const string Error = "Error";
    /// <summary>Killed by the kernel's OOM killer.</summary>
    public const string OomKilled = "OOMKilled";
    /// <summary>`runc start` failed: the process never ran.</summary>
    public const string StartError = "StartError";
    /// <summary>Its state after a daemon restart could not be learned (the container is CONTAINER_UNKNOWN).</summary>
    public const string RecoveryFailed = "RecoveryFailed";

    /// <summary>The reason for an exit the monitor saw.</summary>
    public static string Of(ContainerExit exit) => exit.OomKilled ? OomKilled : exit.ExitCode == ContainerExitCodes.Success ? Completed : Error;
}

/// <summary>The exit codes the daemon records itself, when no process exit gives one.</summary>
public static class ContainerExitCodes
{
    public const int Success = 0;
    /// <summary>The start failed (with <see cref="ContainerExitReasons.StartError"/>), as containerd records it.</summary>
    public const int StartFailed = 128;
    /// <summary>The process is gone and no exit file says how it ended (it died while the daemon was down).</summary>
    public const int Unknown = 255;
}
