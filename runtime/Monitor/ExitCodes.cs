using CriShim.Oci.Runc;

namespace CriShim.Oci.Monitor;

/// <summary>Exit codes and failure texts the monitor reports itself, when neither conmon nor runc gave one.</summary>
internal static class ExitCodes
{
    /// <summary>A process killed by SIGKILL (128 + 9), as a shell reports it: what a timed-out exec gets when conmon
    /// no longer reports the kill.</summary>
    public const int Killed = 128 + Signals.SIGKILL;

    /// <summary>A container whose conmon is gone without recording an exit: unknown, recorded so every reader agrees.</summary>
    public const int Lost = 255;

    /// <summary>conmon's report of a failed `runc exec` came without runc's own message.</summary>
    public const string ExecFailed = "runc exec failed";

    /// <summary>conmon's report of a failed `runc create` came without runc's own message.</summary>
    public const string CreateFailed = "runc create failed";
}
