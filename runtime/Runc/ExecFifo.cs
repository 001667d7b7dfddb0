using CriShim.Oci.Native;

namespace CriShim.Oci.Runc;

/// <summary>
/// `runc start` without the runc process: for a created container, runc start opens the container's exec.fifo (in
/// runc's state dir) for reading, which lets runc init (blocked opening it for writing) write its byte and exec the
/// command, then removes the fifo (runc reports "created" while it exists). Doing the same here saves a process.
/// Anything unexpected (no fifo: not created; no init pid; init gone without its byte) leaves the fifo alone and
/// returns false, so the caller runs `runc start` and reports runc's own answer.
/// </summary>
public static class ExecFifo
{
    public const string FileName = "exec.fifo";

    /// <summary>How often the wait for init's byte checks that init still lives (runc start: every 100 ms).</summary>
    static readonly TimeSpan AliveCheck = TimeSpan.FromMilliseconds(100);

    /// <summary>Starts the created container whose fifo is <paramref name="fifo"/> and init pid <paramref name="initPid"/>;
    /// false when it did not (nothing changed then).</summary>
    public static async Task<bool> TryStartAsync(string fifo, int? initPid, CancellationToken ct)
    {
        if (initPid is not { } pid) return false;
        // Non-blocking: with init gone no writer ever comes, and a blocking open would never return.
        var fd = LibC.open(fifo, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) return false;
        try
        {
            var buf = new byte[16];
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                // > 0: init's byte, it execs the command now. 0: no writer (yet); -1 (EAGAIN): writer there, no byte yet.
                if (LibC.read(fd, buf, buf.Length) > 0) break;
                if (!IsAlive(pid))
                {
                    if (LibC.read(fd, buf, buf.Length) > 0) break; // wrote and went meanwhile
                    return false;
                }
                await WaitReadableAsync(fd, ct);
            }
        }
        finally { LibC.close(fd); }
        File.Delete(fifo);
        return true;
    }

    /// <summary>poll(2) until init's byte arrives or the alive check is due, on a pool thread. A fifo no writer opened
    /// since this reader did reports nothing, so this does not spin while init has yet to open its end.</summary>
    static Task WaitReadableAsync(int fd, CancellationToken ct) => Task.Run(() =>
    {
        var fds = new[] { new LibC.PollFd { Fd = fd, Events = LibC.POLLIN } };
        if (LibC.poll(fds, 1, (int)AliveCheck.TotalMilliseconds) > 0 && (fds[0].REvents & LibC.POLLIN) == 0)
            Thread.Sleep(AliveCheck); // hang-up without data (a writer came and went): only the alive check can end this
    }, ct);

    /// <summary>The process exists and is no zombie (state in /proc/PID/stat after the command name).</summary>
    static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var end = stat.LastIndexOf(')');
            return end >= 0 && end + 2 < stat.Length && stat[end + 2] != 'Z';
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
