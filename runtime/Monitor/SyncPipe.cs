using System.Runtime.InteropServices;
using System.Text;
using CriShim.Oci.Runc;
using CriShim.Oci.Native;

namespace CriShim.Oci.Monitor;

/// <summary>The pipe conmon reports the container pid (or runc's error) on. Both ends are close-on-exec so no
/// unrelated child inherits them; conmon's shell wrapper reopens the write end through /proc/PID/fd/N.</summary>
internal sealed class SyncPipe : IDisposable
{
    private int _read;
    private int _write;
    private readonly StringBuilder _text = new();

    public SyncPipe()
    {
        var fds = new int[2];
        if (LibC.pipe2(fds, LibC.O_CLOEXEC | LibC.O_NONBLOCK) != 0)
            throw new IOException($"pipe2 failed: errno {Marshal.GetLastWin32Error()}");
        (_read, _write) = (fds[0], fds[1]);
    }

    /// <summary>Path a child can open to get the write end (valid while this object lives).</summary>
    public string WriterPath => $"/proc/{Environment.ProcessId}/fd/{_write}";

    /// <summary>Waits for one newline-terminated message. Returns null if <paramref name="writerGone"/> turns true
    /// (the child exited) and nothing complete arrived.</summary>
    public async Task<string?> ReadLineAsync(Func<bool> writerGone, CancellationToken ct)
    {
        var buf = new byte[4096];
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var gone = writerGone();
            // Drain whatever is there (the fd is non-blocking).
            while (true)
            {
                var n = (int)LibC.read(_read, buf, buf.Length);
                if (n > 0)
                {
                    _text.Append(Encoding.UTF8.GetString(buf, 0, n));
                    continue;
                }
                break; // 0 cannot happen while we hold the write end; -1 = EAGAIN
            }
            var s = _text.ToString();
            var nl = s.IndexOf('\n');
            if (nl >= 0)
            {
                _text.Remove(0, nl + 1);
                return s[..nl];
            }
            if (gone)
            {
                _text.Clear();
                return s.Length > 0 ? s : null;
            }
            await WaitReadableAsync(TimeSpan.FromMilliseconds(25), ct);
        }
    }

    /// <summary>poll(2) for input on a pool thread, in short slices so cancellation and child exit are noticed.</summary>
    private Task WaitReadableAsync(TimeSpan slice, CancellationToken ct) => Task.Run(() =>
    {
        var fds = new[] { new LibC.PollFd { Fd = _read, Events = LibC.POLLIN } };
        LibC.poll(fds, 1, (int)slice.TotalMilliseconds);
    }, ct);

    public void Dispose()
    {
        if (_read >= 0) { LibC.close(_read); _read = -1; }
        if (_write >= 0) { LibC.close(_write); _write = -1; }
    }
}
