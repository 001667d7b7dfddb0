using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace CriShim.Streaming.Spdy;

/// <summary>
/// A SPDY/3 session over an upgraded HTTP connection (or a WebSocket tunnel), in the subset the Kubernetes
/// ecosystem (moby/spdystream) speaks: peers open streams with SYN_STREAM, the other side accepts with
/// SYN_REPLY, data flows in DATA frames until FIN or RST_STREAM. No flow control (spdystream has none);
/// back-pressure comes from TCP because the read loop waits for a stream's consumer. A connection that
/// sees no frame in either direction for the idle timeout is aborted. Limits (see <see cref="StreamingServerOptions"/>):
/// a peer that breaks the framer's (oversized frame, header bomb, stalled frame) gets RST_STREAM for the stream
/// concerned and GOAWAY; streams beyond the per-connection maximum are refused with RST_STREAM REFUSED_STREAM.
/// </summary>
public sealed class SpdyConnection : IAsyncDisposable
{
    /// <summary>Largest DATA payload we send; Go's io.Copy writes 32 KiB at a time too.</summary>
    public const int MaxDataChunk = 32 * 1024;

    readonly Stream _transport;
    readonly SpdyFramer _framer;
    readonly bool _isServer;
    readonly ILogger _log;
    readonly TimeSpan _idleTimeout;
    readonly int _maxStreams;
    readonly SemaphoreSlim _writeLock = new(1, 1);
    readonly ConcurrentDictionary<uint, SpdyStream> _streams = new();
    readonly Channel<SpdyStream> _accepted = Channel.CreateUnbounded<SpdyStream>();
    readonly CancellationTokenSource _closed = new();
    readonly Timer _idleTimer;
    readonly Lock _idLock = new();
    uint _nextStreamId;
    uint _lastRemoteStreamId;
    int _goneAway;
    Task? _readLoop;

    /// <summary>Bounds the GOAWAY (and RST_STREAM) we send when closing: a peer that does not read cannot hold us.</summary>
    static readonly TimeSpan GoodbyeTimeout = TimeSpan.FromSeconds(2);

    public SpdyConnection(Stream transport, bool isServer, ILogger log, TimeSpan idleTimeout, StreamingServerOptions? limits = null)
    {
        limits ??= new StreamingServerOptions();
        _transport = transport;
        _framer = new SpdyFramer(transport, limits);
        _maxStreams = limits.MaxStreamsPerConnection;
        _isServer = isServer;
        _log = log;
        _idleTimeout = idleTimeout;
        _nextStreamId = isServer ? 2u : 1u;
        _idleTimer = new Timer(_ => OnIdle(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Streams the peer opened, already answered with SYN_REPLY.</summary>
    public ChannelReader<SpdyStream> AcceptedStreams => _accepted.Reader;

    /// <summary>Cancelled once the connection is gone (peer closed, idle, error or disposed).</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Starts the read loop; it ends when the peer closes, on a protocol error or on <see cref="Closed"/>.</summary>
    public Task Start()
    {
        Touch();
        return _readLoop ??= Task.Run(ReadLoopAsync);
    }

    async Task ReadLoopAsync()
    {
        try
        {
            while (!_closed.IsCancellationRequested)
            {
                var frame = await _framer.ReadFrameAsync(_closed.Token);
                if (frame is null) break;
                Touch();
                await HandleAsync(frame);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is SpdyProtocolException or InvalidDataException)
        {
            var violation = e as SpdyProtocolException;
            _log.LogWarning("SPDY peer violated the protocol or a limit, closing the connection: {Violation}", e.Message);
            if (violation is { StreamId: > 0 }) await SayGoodbyeAsync(SpdyFrame.Rst(violation.StreamId, violation.StreamStatus));
            await SayGoodbyeAsync(SpdyFrame.GoAway(_lastRemoteStreamId, SpdyGoAwayStatus.ProtocolError));
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
            _log.LogDebug("SPDY connection read ended: {Error}", e.Message);
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "SPDY connection failed");
        }
        finally
        {
            Shutdown();
        }
    }

    async ValueTask HandleAsync(SpdyFrame frame)
    {
        switch (frame.Type)
        {
            case SpdyFrameType.SynStream:
                await OnSynStreamAsync(frame);
                break;
            case SpdyFrameType.SynReply:
                if (_streams.TryGetValue(frame.StreamId, out var replied))
                {
                    replied.OnReply(frame.Headers);
                    if (frame.Fin) replied.OnRemoteFin();
                }
                break;
            case SpdyFrameType.Data:
                if (_streams.TryGetValue(frame.StreamId, out var target))
                {
                    // The framer reuses its buffer for the next piece: the stream gets its own copy.
                    if (frame.Data.Length > 0) await target.OnDataAsync(frame.Data.ToArray(), _closed.Token);
                    if (frame.Fin) target.OnRemoteFin();
                }
                break;
            case SpdyFrameType.Headers:
                if (frame.Fin && _streams.TryGetValue(frame.StreamId, out var headersTarget)) headersTarget.OnRemoteFin();
                break;
            case SpdyFrameType.RstStream:
                if (_streams.TryRemove(frame.StreamId, out var reset)) reset.OnReset();
                break;
            case SpdyFrameType.Ping:
                // Pings the peer starts have the peer's parity (client odd, server even): echo them.
                if ((frame.Value & 1) == (_isServer ? 1u : 0u)) await WriteFrameAsync(frame, CancellationToken.None);
                break;
            case SpdyFrameType.GoAway:
                Interlocked.Exchange(ref _goneAway, 1);
                _accepted.Writer.TryComplete();
                break;
            // SETTINGS, WINDOW_UPDATE: spdystream sends neither in practice and we do no flow control.
        }
    }

    async ValueTask OnSynStreamAsync(SpdyFrame frame)
    {
        var id = frame.StreamId;
        var remoteParity = _isServer ? 1u : 0u;
        if (id == 0 || (id & 1) != remoteParity || id <= _lastRemoteStreamId || Volatile.Read(ref _goneAway) == 1)
        {
            await WriteFrameAsync(SpdyFrame.Rst(id, SpdyRstStatus.ProtocolError), CancellationToken.None);
            return;
        }
        _lastRemoteStreamId = id;
        if (_streams.Count >= _maxStreams)
        {
            _log.LogWarning("SPDY stream {StreamId} refused: already {Streams} streams open (streaming.maxStreamsPerConnection)", id, _streams.Count);
            await WriteFrameAsync(SpdyFrame.Rst(id, SpdyRstStatus.RefusedStream), CancellationToken.None);
            return;
        }
        var stream = new SpdyStream(this, id, frame.Headers);
        if ((frame.Flags & SpdyFlags.Unidirectional) != 0) stream.MarkLocalClosed();
        _streams[id] = stream;
        stream.OnReply(SpdyHeaders.Empty);
        // The reply is written before the stream is handed out, so it precedes anything we send on it.
        await WriteFrameAsync(SpdyFrame.SynReply(id, SpdyHeaders.Empty), CancellationToken.None);
        if (frame.Fin) stream.OnRemoteFin();
        if (!_accepted.Writer.TryWrite(stream)) await stream.ResetAsync();
    }

    /// <summary>Opens a stream towards the peer and waits for its SYN_REPLY (client role; tests use it).</summary>
    public async Task<SpdyStream> OpenStreamAsync(SpdyHeaders headers, CancellationToken ct)
    {
        uint id;
        lock (_idLock) { id = _nextStreamId; _nextStreamId += 2; }
        var stream = new SpdyStream(this, id, headers);
        _streams[id] = stream;
        await WriteFrameAsync(SpdyFrame.SynStream(id, headers), ct);
        await stream.Replied.WaitAsync(ct);
        return stream;
    }

    internal async ValueTask WriteFrameAsync(SpdyFrame frame, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            if (_closed.IsCancellationRequested) throw new IOException("SPDY connection is closed");
            var bytes = _framer.Encode(frame);
            await _transport.WriteAsync(bytes, ct);
            await _transport.FlushAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException and not IOException)
        {
            Shutdown();
            throw new IOException($"SPDY write failed: {e.Message}", e);
        }
        finally
        {
            _writeLock.Release();
        }
        Touch();
    }

    internal void Forget(uint streamId) => _streams.TryRemove(streamId, out _);

    /// <summary>Says goodbye (GOAWAY) and closes the transport; streams see end of data.</summary>
    public async Task CloseAsync()
    {
        if (_closed.IsCancellationRequested) return;
        await SayGoodbyeAsync(SpdyFrame.GoAway(_lastRemoteStreamId));
        Shutdown();
    }

    /// <summary>Best effort, bounded in time: the connection is going away whether or not the peer reads it.</summary>
    async Task SayGoodbyeAsync(SpdyFrame frame)
    {
        using var timeout = new CancellationTokenSource(GoodbyeTimeout);
        try { await WriteFrameAsync(frame, timeout.Token); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException) { }
    }

    void Touch()
    {
        if (_idleTimeout > TimeSpan.Zero && !_closed.IsCancellationRequested)
            try { _idleTimer.Change(_idleTimeout, Timeout.InfiniteTimeSpan); } catch (ObjectDisposedException) { }
    }

    void OnIdle()
    {
        _log.LogInformation("SPDY connection idle for {IdleTimeout}, closing", _idleTimeout);
        Shutdown();
    }

    void Shutdown()
    {
        if (_closed.IsCancellationRequested) return;
        try { _closed.Cancel(); } catch (ObjectDisposedException) { return; }
        _accepted.Writer.TryComplete();
        foreach (var stream in _streams.Values) stream.OnConnectionClosed();
        _streams.Clear();
        try { _transport.Dispose(); } catch (Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        Shutdown();
        if (_readLoop is not null) await _readLoop;
        await _idleTimer.DisposeAsync();
        _framer.Dispose();
        _writeLock.Dispose();
        _closed.Dispose();
    }
}
