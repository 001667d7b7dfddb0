using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using CriShim.Oci.Native;

namespace CriShim.Oci.Exec;

/// <summary>
/// A connection to a container's stdio through its conmon monitor. conmon's attach socket is SOCK_SEQPACKET:
/// every packet from conmon starts with one byte naming the pipe (2 stdout, 3 stderr) followed by the data;
/// packets we send are written to the container's stdin. Resizes go to conmon's control fifo as
/// "1 HEIGHT WIDTH\n". Closing the attachment detaches: the container keeps running.
/// </summary>
public sealed class ConmonAttachment : IAsyncDisposable
{
    /// <summary>conmon's buffers are 8 KiB: a larger stdin packet would be truncated.</summary>
    const int MaxPacket = 8192;
    const byte StdoutPipe = 2, StderrPipe = 3;

    readonly Socket _socket;
    readonly string? _controlFifo;
    readonly ILogger _log;

    ConmonAttachment(Socket socket, string? controlFifo, ILogger log)
    {
        _socket = socket;
        _controlFifo = controlFifo;
        _log = log;
    }

    /// <summary>
    /// Connects to the attach socket. Its path may exceed sun_path (108 bytes), so like conmon's other clients we
    /// connect through /proc/self/fd/N/attach of an O_PATH descriptor of its directory.
    /// </summary>
    public static async Task<ConmonAttachment> ConnectAsync(string attachSocketPath, string? controlFifoPath, ILogger log, CancellationToken ct)
    {
        var directory = Path.GetDirectoryName(attachSocketPath) ?? "/";
        var dirFd = LibC.open(directory, LibC.O_PATH | LibC.O_CLOEXEC);
        if (dirFd < 0) throw LibC.Error($"open {directory}");
        var socket = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            var shortPath = $"/proc/self/fd/{dirFd}/{Path.GetFileName(attachSocketPath)}";
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(shortPath), ct);
            return new ConmonAttachment(socket, controlFifoPath, log);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        finally
        {
            LibC.close(dirFd);
        }
    }

    /// <summary>Copies container output to the given streams until conmon closes the socket (container exit).</summary>
    public async Task CopyOutputAsync(Stream? stdout, Stream? stderr, CancellationToken ct)
    {
        var buffer = new byte[MaxPacket + 1];
        while (true)
        {
            int n;
            try { n = await _socket.ReceiveAsync(buffer, SocketFlags.None, ct); }
            catch (SocketException e) { _log.LogDebug("attach socket read ended: {Error}", e.Message); return; }
            if (n == 0) return;
            var target = buffer[0] switch { StdoutPipe => stdout, StderrPipe => stderr, _ => null };
            if (target is not null && n > 1) await target.WriteAsync(buffer.AsMemory(1, n - 1), ct);
        }
    }

    /// <summary>Forwards stdin; at its end half-closes the socket, which conmon turns into closing the
    /// container's stdin unless it runs with --leave-stdin-open.</summary>
    public async Task CopyInputAsync(Stream stdin, CancellationToken ct)
    {
        var buffer = new byte[MaxPacket];
        while (true)
        {
            var n = await stdin.ReadAsync(buffer, ct);
            if (n == 0) break;
            await SendInputAsync(buffer.AsMemory(0, n), ct);
        }
        CloseInput();
    }

    /// <summary>Sends stdin data, in packets conmon can take whole.</summary>
    public async ValueTask SendInputAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            var packet = data[..Math.Min(data.Length, MaxPacket)];
            await _socket.SendAsync(packet, SocketFlags.None, ct);
            data = data[packet.Length..];
        }
    }

    /// <summary>Ends stdin (half-close).</summary>
    public void CloseInput()
    {
        try { _socket.Shutdown(SocketShutdown.Send); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public async Task ResizeAsync(TerminalSize size, CancellationToken ct)
    {
        if (_controlFifo is null || size.Width == 0 || size.Height == 0) return;
        // O_RDWR|O_NONBLOCK never blocks on a fifo, even while conmon has not opened its reading end.
        var fd = LibC.open(_controlFifo, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) { _log.LogDebug("open control fifo {Path}: {Error}", _controlFifo, LibC.Error("open").Message); return; }
        using var fifo = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, true), FileAccess.Write, bufferSize: 0);
        await fifo.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"1 {size.Height} {size.Width}\n"), ct);
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
