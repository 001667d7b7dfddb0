using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using CriShim.Oci.Native;

namespace CriShim.Oci.Exec;

/// <summary>
/// A pipe made in the daemon with both ends close-on-exec, so no unrelated child inherits it; the one child
/// meant to have an end opens it through /proc/&lt;daemon pid&gt;/fd/N. Once the child holds its end we drop our copy
/// of it, so end-of-file on our side means the child is gone.
/// </summary>
sealed class HandoverPipe : IDisposable
{
    readonly int _childFd;
    bool _childEndReleased;

    /// <param name="childWrites">True when the child writes and we read (sync, attach pipes); false for the start pipe.</param>
    public HandoverPipe(bool childWrites)
    {
        var fds = new int[2];
        if (LibC.pipe2(fds, LibC.O_CLOEXEC) != 0) throw LibC.Error("pipe2");
        var (read, write) = (fds[0], fds[1]);
        _childFd = childWrites ? write : read;
        var ours = childWrites ? read : write;
        Ours = new FileStream(new SafeFileHandle(ours, ownsHandle: true), childWrites ? FileAccess.Read : FileAccess.Write, bufferSize: 0);
    }

    /// <summary>Our end (read end when the child writes, write end otherwise).</summary>
    public FileStream Ours { get; }

    /// <summary>Path through which the child opens its end.</summary>
    public string ChildPath => $"/proc/{Environment.ProcessId}/fd/{_childFd}";

    public void ReleaseChildEnd()
    {
        if (_childEndReleased) return;
        _childEndReleased = true;
        LibC.close(_childFd);
    }

    /// <summary>
    /// Reads one conmon message, {"data": N, "message": "..."} (API 1; older ones say "pid"), one JSON value per
    /// write. Null at end of file.
    /// </summary>
    public async Task<(int Value, string? Message)?> ReadMessageAsync(CancellationToken ct)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        var depth = 0;
        while (true)
        {
            if (await Ours.ReadAsync(one, ct) == 0) return null;
            var c = (char)one[0];
            if (line.Length == 0 && c != '{') continue;
            line.Append(c);
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) break;
        }
        using var doc = JsonDocument.Parse(line.ToString());
        var root = doc.RootElement;
        var value = root.TryGetProperty("data", out var data) ? data.GetInt32()
            : root.TryGetProperty("pid", out var pid) ? pid.GetInt32()
            : throw new InvalidDataException($"conmon message without data: {line}");
        var message = root.TryGetProperty("message", out var m) ? m.GetString() : null;
        return (value, message);
    }

    public void Dispose()
    {
        ReleaseChildEnd();
        Ours.Dispose();
    }
}
