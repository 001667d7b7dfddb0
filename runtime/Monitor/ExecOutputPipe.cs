using System.Runtime.InteropServices;
using CriShim.Oci.Runc;
using Microsoft.Win32.SafeHandles;
using CriShim.Oci.Native;

namespace CriShim.Oci.Monitor;

/// <summary>
/// Where a synchronous exec's output comes back: conmon's k8s-file log is pointed at the write end of a pipe the
/// daemon holds (conmon opens it through /proc/DAEMON/fd/N, as it does the sync pipe), so no byte of it is ever
/// stored under state (a tmpfs: RAM). A dedicated thread decodes it as it arrives, keeping at most the budget
/// (<see cref="CriLogDecoder"/>) and draining the rest, so a process that prints forever never blocks on a full
/// pipe and never grows the daemon.
/// </summary>
internal sealed class ExecOutputPipe : IDisposable
{
    readonly FileStream _read;
    readonly CriLogDecoder _decoder;
    readonly Task _pump;
    int _write;

    public ExecOutputPipe(int budget)
    {
        var fds = new int[2];
        if (LibC.pipe2(fds, LibC.O_CLOEXEC) != 0)
            throw new IOException($"pipe2 failed: errno {Marshal.GetLastWin32Error()}");
        _write = fds[1];
        _read = new FileStream(new SafeFileHandle(fds[0], ownsHandle: true), FileAccess.Read, bufferSize: 0);
        _decoder = new CriLogDecoder(budget);
        _pump = Task.Factory.StartNew(Pump, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The path conmon opens for writing (valid while this object lives).</summary>
    public string WriterPath => $"/proc/{Environment.ProcessId}/fd/{_write}";

    /// <summary>Call once conmon has exited: drops the daemon's write end, so the pump reads what is left and sees
    /// end of file (conmon opens the log close-on-exec: no process of the container holds it).</summary>
    public async Task<CriLogDecoder> CompleteAsync()
    {
        CloseWriter();
        await _pump;
        return _decoder;
    }

    void Pump()
    {
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = _read.Read(buffer, 0, buffer.Length)) > 0) _decoder.Write(buffer.AsSpan(0, n));
        _decoder.Complete();
    }

    void CloseWriter()
    {
        var fd = Interlocked.Exchange(ref _write, -1);
        if (fd >= 0) LibC.close(fd);
    }

    public void Dispose()
    {
        CloseWriter();
        // The pump ends at end of file; only then may the read end go.
        _pump.ContinueWith(_ => _read.Dispose(), TaskScheduler.Default);
    }
}
