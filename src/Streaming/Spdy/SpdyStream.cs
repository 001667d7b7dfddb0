using System.Threading.Channels;
using CriShim.Oci.IO;

namespace CriShim.Streaming.Spdy;

/// <summary>
/// One SPDY stream seen as a byte stream: reads return the peer's DATA until its FIN (then 0), writes become
/// DATA frames; <see cref="CloseWriteAsync"/> half-closes with an empty FIN frame, <see cref="ResetAsync"/>
/// aborts both directions with RST_STREAM.
/// </summary>
public sealed class SpdyStream : ForwardOnlyStream
{
    readonly SpdyConnection _connection;
    // Bounded: a slow consumer stalls the connection's read loop, which is TCP back-pressure on the peer. The
    // framer hands out DATA in pieces of at most 32 KiB, so a stream holds at most 512 KiB its consumer has not read.
    readonly Channel<ReadOnlyMemory<byte>> _incoming = Channel.CreateBounded<ReadOnlyMemory<byte>>(
        new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
    readonly TaskCompletionSource _replied = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly SemaphoreSlim _writeLock = new(1, 1);
    ReadOnlyMemory<byte> _current;
    bool _localClosed, _remoteClosed;
    volatile bool _reset;

    internal SpdyStream(SpdyConnection connection, uint id, SpdyHeaders headers)
    {
        _connection = connection;
        Id = id;
        Headers = headers;
    }

    public uint Id { get; }
    public SpdyHeaders Headers { get; }
    public bool WasReset => _reset;
    internal Task Replied => _replied.Task;

    internal void OnReply(SpdyHeaders headers) => _replied.TrySetResult();

    internal async ValueTask OnDataAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try { await _incoming.Writer.WriteAsync(data, ct); }
        catch (ChannelClosedException) { } // data after FIN or after the consumer gave up: dropped
    }

    internal void OnRemoteFin()
    {
        _incoming.Writer.TryComplete();
        lock (_incoming) { _remoteClosed = true; if (_localClosed) _connection.Forget(Id); }
    }

    internal void OnReset()
    {
        _reset = true;
        _incoming.Writer.TryComplete();
        _replied.TrySetException(new IOException($"SPDY stream {Id} was reset"));
        lock (_incoming) { _localClosed = _remoteClosed = true; }
    }

    internal void OnConnectionClosed()
    {
        _incoming.Writer.TryComplete();
        _replied.TrySetException(new IOException("SPDY connection closed"));
        lock (_incoming) { _localClosed = _remoteClosed = true; }
    }

    internal void MarkLocalClosed()
    {
        lock (_incoming) { _localClosed = true; }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        while (_current.IsEmpty)
        {
            if (!await _incoming.Reader.WaitToReadAsync(ct)) return 0;
            _incoming.Reader.TryRead(out _current);
        }
        var n = Math.Min(buffer.Length, _current.Length);
        _current[..n].CopyTo(buffer);
        _current = _current[n..];
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            if (_localClosed || _reset) throw new IOException($"SPDY stream {Id} is closed for writing");
            while (!buffer.IsEmpty)
            {
                var chunk = buffer[..Math.Min(buffer.Length, SpdyConnection.MaxDataChunk)];
                await _connection.WriteFrameAsync(SpdyFrame.DataFrame(Id, chunk.ToArray()), ct);
                buffer = buffer[chunk.Length..];
            }
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>Half-closes our side (empty DATA with FIN). Idempotent; a gone connection is not an error here.</summary>
    public async Task CloseWriteAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            lock (_incoming) { if (_localClosed || _reset) return; _localClosed = true; }
            try { await _connection.WriteFrameAsync(SpdyFrame.DataFrame(Id, ReadOnlyMemory<byte>.Empty, fin: true), CancellationToken.None); }
            catch (IOException) { }
            lock (_incoming) { if (_remoteClosed) _connection.Forget(Id); }
        }
        finally { _writeLock.Release(); }
    }

    public async Task ResetAsync(SpdyRstStatus status = SpdyRstStatus.Cancel)
    {
        if (_reset) return;
        _reset = true;
        _incoming.Writer.TryComplete();
        _connection.Forget(Id);
        try { await _connection.WriteFrameAsync(SpdyFrame.Rst(Id, status), CancellationToken.None); }
        catch (IOException) { }
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
}
