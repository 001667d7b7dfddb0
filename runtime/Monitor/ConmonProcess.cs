using System.Diagnostics;

namespace CriShim.Oci.Monitor;

/// <summary>One conmon child with its sync pipe. conmon is started through /bin/sh only to wire fd 3 to the sync
/// pipe and its stdio away from the daemon; the shell then execs conmon (same pid).</summary>
internal sealed class ConmonProcess : IDisposable
{
    private readonly SyncPipe _sync;

    private ConmonProcess(Process process, SyncPipe sync)
    {
        Process = process;
        _sync = sync;
    }

    public Process Process { get; }

    public static ConmonProcess Start(string conmon, IReadOnlyList<string> args, string workingDirectory, string stderrFile)
    {
        var sync = new SyncPipe();
        try
        {
            var script = $"exec \"$0\" \"$@\" 3>{ConmonCommand.ShellQuote(sync.WriterPath)} </dev/null >/dev/null 2>{ConmonCommand.ShellQuote(stderrFile)}";
            var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = workingDirectory };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(script);
            psi.ArgumentList.Add(conmon);
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment["_OCI_SYNCPIPE"] = "3";
            var process = Process.Start(psi) ?? throw new InvalidOperationException("conmon did not start");
            return new ConmonProcess(process, sync);
        }
        catch
        {
            sync.Dispose();
            throw;
        }
    }

    /// <summary>The next sync message, or null when conmon exited without sending one.</summary>
    public Task<string?> ReadMessageAsync(CancellationToken ct) => _sync.ReadLineAsync(() => Process.HasExited, ct);

    public void Dispose() => _sync.Dispose();
}
