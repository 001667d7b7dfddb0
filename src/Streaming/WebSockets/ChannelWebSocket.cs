using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using CriShim.Oci.IO;
using Microsoft.Extensions.Logging;

namespace CriShim.Streaming.WebSockets;

/// <summary>
/// Kubernetes' channel multiplexing over one WebSocket: every message starts with its channel number, a raw
/// byte (channel.k8s.io, v4/v5.channel.k8s.io) or an ASCII digit followed by base64 data (base64 protocols).
/// v5 adds the close signal: a message on channel 255 whose payload names the channel the client closed
/// (stdin end of input). Inputs are pipes filled by the receive loop as fragments arrive (their back-pressure
/// pauses it; a message is never buffered whole); outputs send one message per write. A message over its
/// channel's size limit closes the socket with 1008 (policy violation).
/// </summary>
public sealed class ChannelWebSocket : IAsyncDisposable
{
    public const byte CloseChannel = 255;
    /// <summary>How long a refused or expired client has to answer our close frame before the socket is dropped.</summary>
    static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    readonly WebSocket _socket;
    readonly ILogger _log;
    readonly TimeSpan _idleTimeout;
    readonly int _maxMessage;
    readonly SemaphoreSlim _sendLock = new(1, 1);
    readonly Dictionary<byte, Pipe> _inputs = new();
    readonly Dictionary<byte, int> _channelLimits = new();
    readonly CancellationTokenSource _gone = new();
    readonly Timer _idleTimer;
    // The message being received: its size so far, its channel (-1 until known), base64 left over from the last fragment.
    long _messageLength;
    int _messageChannel = -1;
    byte[] _base64Carry = [];

    public ChannelWebSocket(WebSocket socket, string protocol, ILogger log, TimeSpan idleTimeout, int maxMessage = 16 * 1024 * 1024)
    {
        _socket = socket;
        _log = log;
        _idleTimeout = idleTimeout;
        _maxMessage = maxMessage;
        Protocol = protocol;
        Base64 = protocol.Contains("base64", StringComparison.Ordinal);
        _idleTimer = new Timer(_ => Abort("idle"), null, Timeout.Infinite, Timeout.Infinite);
        Touch();
    }

    public string Protocol { get; }
    public bool Base64 { get; }
    /// <summary>Cancelled once the client closed the socket or it failed.</summary>
    public CancellationToken Gone => _gone.Token;

    /// <summary>A stream of what the client sends on a channel; register before <see cref="RunAsync"/>.</summary>
    public Stream Input(byte channel)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 256 * 1024, resumeWriterThreshold: 128 * 1024, useSynchronizationContext: false));
        _inputs[channel] = pipe;
        return pipe.Reader.AsStream();
    }

    /// <summary>Messages on this channel may be at most this large (the resize channel's are tiny); set before <see cref="RunAsync"/>.</summary>
    public void LimitMessages(byte channel, int maxMessage) => _channelLimits[channel] = maxMessage;

    /// <summary>A write-only stream whose writes become messages on a channel.</summary>
    public Stream Output(byte channel) => new OutputStream(this, channel);

    /// <summary>Receives until the client closes; inputs end (EOF) with it.</summary>
    public async Task RunAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            // After we refused the client (close sent), wait for its close reply and ignore what comes before it.
            while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await _socket.ReceiveAsync(buffer, _gone.Token);
                Touch();
                if (result.MessageType == WebSocketMessageType.Close) break;
                if (_socket.State != WebSocketState.Open) continue;
                try { await OnFragmentAsync(buffer.AsMemory(0, result.Count), result.EndOfMessage); }
                catch (MessageTooLargeException e) { await RefuseAsync(e.Message); }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or InvalidDataException or IOException or FormatException)
        {
            _log.LogDebug("WebSocket receive ended: {Error}", e.Message);
        }
        finally
        {
            foreach (var pipe in _inputs.Values) await pipe.Writer.CompleteAsync();
            try { _gone.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    async Task OnFragmentAsync(ReadOnlyMemory<byte> fragment, bool endOfMessage)
    {
        _messageLength += fragment.Length;
        if (_messageChannel < 0 && fragment.Length > 0)
        {
            _messageChannel = Base64 ? (byte)(fragment.Span[0] - '0') : fragment.Span[0];
            fragment = fragment[1..];
        }
        var limit = _messageChannel >= 0 && _channelLimits.TryGetValue((byte)_messageChannel, out var channelLimit) ? channelLimit : _maxMessage;
        if (_messageLength > limit)
            throw new MessageTooLargeException($"message over {limit} bytes on channel {_messageChannel}");
        if (_messageChannel >= 0) await DeliverAsync((byte)_messageChannel, fragment, endOfMessage);
        if (!endOfMessage) return;
        _messageLength = 0;
        _messageChannel = -1;
        _base64Carry = [];
    }

    async Task DeliverAsync(byte channel, ReadOnlyMemory<byte> data, bool endOfMessage)
    {
        if (Base64) data = DecodeBase64(data, endOfMessage);
        if (channel == CloseChannel && Protocol.StartsWith("v5.", StringComparison.Ordinal))
        {
            if (data.Length > 0 && _inputs.TryGetValue(data.Span[0], out var closed)) await closed.Writer.CompleteAsync();
            return;
        }
        if (!_inputs.TryGetValue(channel, out var pipe) || data.Length == 0) return;
        try { await pipe.Writer.WriteAsync(data, _gone.Token); }
        catch (InvalidOperationException) { } // written after the client closed the channel: dropped
    }

    /// <summary>Decodes whole 4-character groups; a partial group waits for the next fragment of the message.</summary>
    ReadOnlyMemory<byte> DecodeBase64(ReadOnlyMemory<byte> text, bool endOfMessage)
    {
        var input = _base64Carry.Length == 0 ? text : (ReadOnlyMemory<byte>)_base64Carry.Concat(text.ToArray()).ToArray();
        var output = new byte[input.Length / 4 * 3 + 3];
        var status = System.Buffers.Text.Base64.DecodeFromUtf8(input.Span, output, out var consumed, out var written, endOfMessage);
        if (status is System.Buffers.OperationStatus.InvalidData || (endOfMessage && status != System.Buffers.OperationStatus.Done))
            throw new FormatException("invalid base64 in a WebSocket message");
        _base64Carry = input[consumed..].ToArray();
        return output.AsMemory(0, written);
    }

    /// <summary>
    /// Ends a client's session for breaking a limit (or outliving its deadline): close frame 1008 with the reason,
    /// then the client has <see cref="CloseGrace"/> to answer before the socket is dropped.
    /// </summary>
    public async Task RefuseAsync(string reason)
    {
        _log.LogWarning("WebSocket stream session refused: {Reason}", reason);
        try
        {
            using var timeout = new CancellationTokenSource(CloseGrace);
            await _sendLock.WaitAsync(timeout.Token);
            try
            {
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, reason.Length > 120 ? reason[..120] : reason, timeout.Token);
            }
            finally { _sendLock.Release(); }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            _socket.Abort();
        }
        try { _gone.CancelAfter(CloseGrace); } catch (ObjectDisposedException) { }
    }

    sealed class MessageTooLargeException(string message) : Exception(message);

    public async Task SendAsync(byte channel, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct);
        try
        {
            if (_socket.State != WebSocketState.Open) throw new IOException("WebSocket is closed");
            if (Base64)
            {
                var text = (char)('0' + channel) + Convert.ToBase64String(data.Span);
                await _socket.SendAsync(Encoding.ASCII.GetBytes(text), WebSocketMessageType.Text, true, ct);
            }
            else
            {
                var frame = new byte[data.Length + 1];
                frame[0] = channel;
                data.CopyTo(frame.AsMemory(1));
                await _socket.SendAsync(frame, WebSocketMessageType.Binary, true, ct);
            }
        }
        catch (WebSocketException e) { throw new IOException(e.Message, e); }
        finally { _sendLock.Release(); }
        Touch();
    }

    /// <summary>Closes the socket politely (the client learns the session is over), bounded in time.</summary>
    public async Task CloseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _sendLock.WaitAsync(timeout.Token);
            try
            {
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            finally { _sendLock.Release(); }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            _socket.Abort();
        }
    }

    void Touch()
    {
        if (_idleTimeout > TimeSpan.Zero)
            try { _idleTimer.Change(_idleTimeout, Timeout.InfiniteTimeSpan); } catch (ObjectDisposedException) { }
    }

    void Abort(string why)
    {
        _log.LogInformation("WebSocket stream session aborted ({Reason})", why);
        _socket.Abort();
        try { _gone.Cancel(); } catch (ObjectDisposedException) { }
    }

    int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _idleTimer.DisposeAsync();
        _socket.Dispose();
        _gone.Dispose();
        _sendLock.Dispose();
    }

    sealed class OutputStream(ChannelWebSocket owner, byte channel) : ForwardOnlyStream
    {
        public override bool CanRead => false;
        public override bool CanWrite => true;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) =>
            new(owner.SendAsync(channel, buffer, ct));
    }
}
