using System.Buffers.Binary;

namespace CriShim.Streaming.Spdy;

/// <summary>
/// Reads and writes SPDY/3 frames on a byte stream. Frame header: control bit, 15-bit version, 16-bit type
/// (control) or 31-bit stream id (data); then 8-bit flags and a 24-bit length. Header blocks go through one
/// compression context per direction, so a framer belongs to exactly one connection.
/// Reading never trusts a declared length: control frames over the limit are refused before any allocation,
/// DATA frames are handed out in pieces of at most <see cref="DataPiece"/> bytes (FIN on the last), and once a
/// frame has begun each further piece must arrive within the frame read timeout.
/// Not thread-safe: the connection serialises writes and reads from one loop.
/// </summary>
public sealed class SpdyFramer : IDisposable
{
    public const ushort Version = 3;
    public const int MaxPayload = (1 << 24) - 1;
    /// <summary>Largest piece of a DATA frame read at once (what a slow consumer can leave buffered per frame).</summary>
    public const int DataPiece = 32 * 1024;

    readonly Stream _transport;
    readonly int _maxControlFrame;
    readonly TimeSpan _frameReadTimeout;
    readonly HeaderDeflater _deflater = new();
    readonly HeaderInflater _inflater;
    readonly byte[] _header = new byte[8];
    // DATA pieces are read into this one buffer: what nobody wants (a stream that is gone) costs no allocation.
    readonly byte[] _dataBuffer = new byte[DataPiece];
    // The DATA frame being read piece by piece.
    uint _dataStreamId;
    byte _dataFlags;
    int _dataLeft;

    public SpdyFramer(Stream transport, StreamingServerOptions? limits = null)
    {
        limits ??= new StreamingServerOptions();
        _transport = transport;
        _maxControlFrame = limits.MaxControlFrameSize;
        _frameReadTimeout = limits.FrameReadTimeout;
        _inflater = new HeaderInflater(limits.MaxHeaderBlockSize);
    }

    /// <summary>
    /// Next frame (or next piece of a DATA frame), or null at a clean end of stream between frames. A DATA piece's
    /// <see cref="SpdyFrame.Data"/> is only valid until the next read: copy what you keep.
    /// </summary>
    public async ValueTask<SpdyFrame?> ReadFrameAsync(CancellationToken ct)
    {
        if (_dataLeft > 0) return await ReadDataPieceAsync(ct);
        // Between frames the connection may be idle as long as its idle timeout allows.
        var read = await _transport.ReadAsync(_header.AsMemory(0, 8), ct);
        if (read == 0) return null;
        if (read < 8) await ReadWithinTimeoutAsync(_header.AsMemory(read), "frame header", ct);
        var flags = _header[4];
        var length = (_header[5] << 16) | (_header[6] << 8) | _header[7];

        if ((_header[0] & 0x80) == 0)
        {
            var streamId = BinaryPrimitives.ReadUInt32BigEndian(_header) & 0x7fffffff;
            if (length == 0) return SpdyFrame.DataFrame(streamId, ReadOnlyMemory<byte>.Empty) with { Flags = flags };
            (_dataStreamId, _dataFlags, _dataLeft) = (streamId, flags, length);
            return await ReadDataPieceAsync(ct);
        }
        var version = BinaryPrimitives.ReadUInt16BigEndian(_header) & 0x7fff;
        if (version != Version) throw new SpdyProtocolException($"unsupported SPDY version {version}");
        var type = (SpdyFrameType)BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2));
        if (length > _maxControlFrame) throw await OversizedControlFrameAsync(type, length, ct);
        var payload = length == 0 ? [] : new byte[length];
        if (length > 0) await ReadWithinTimeoutAsync(payload, $"{type} frame", ct);
        return DecodeControl(type, flags, payload);
    }

    async ValueTask<SpdyFrame> ReadDataPieceAsync(CancellationToken ct)
    {
        var piece = _dataBuffer.AsMemory(0, Math.Min(_dataLeft, DataPiece));
        await ReadWithinTimeoutAsync(piece, "DATA frame", ct);
        _dataLeft -= piece.Length;
        var flags = _dataLeft == 0 ? _dataFlags : (byte)(_dataFlags & ~SpdyFlags.Fin);
        return new SpdyFrame(SpdyFrameType.Data, flags, _dataStreamId) { Data = piece };
    }

    /// <summary>Names the stream of an oversized header-carrying frame (its first 4 bytes) so it can be reset.</summary>
    async ValueTask<SpdyProtocolException> OversizedControlFrameAsync(SpdyFrameType type, int length, CancellationToken ct)
    {
        var message = $"SPDY {type} frame of {length} bytes exceeds streaming.maxControlFrameSize ({_maxControlFrame})";
        if (type is not (SpdyFrameType.SynStream or SpdyFrameType.SynReply or SpdyFrameType.Headers) || length < 4)
            return new SpdyProtocolException(message);
        var id = new byte[4];
        await ReadWithinTimeoutAsync(id, $"{type} frame", ct);
        return new SpdyProtocolException(message, BinaryPrimitives.ReadUInt32BigEndian(id) & 0x7fffffff, SpdyRstStatus.FrameTooLarge);
    }

    /// <summary>Reads the rest of a frame that has begun: a peer that stops halfway is a protocol violation.</summary>
    async ValueTask ReadWithinTimeoutAsync(Memory<byte> buffer, string what, CancellationToken ct)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stall.CancelAfter(_frameReadTimeout);
        try { await _transport.ReadExactlyAsync(buffer, stall.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SpdyProtocolException($"the peer stalled for streaming.frameReadTimeout ({_frameReadTimeout}) in the middle of a {what}");
        }
    }

    SpdyFrame DecodeControl(SpdyFrameType type, byte flags, byte[] p)
    {
        uint U32(int offset) => BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(offset));
        void Need(int n) { if (p.Length < n) throw new SpdyProtocolException($"SPDY {type} frame too short"); }
        switch (type)
        {
            case SpdyFrameType.SynStream:
                Need(10);
                return new SpdyFrame(type, flags, U32(0) & 0x7fffffff)
                {
                    AssociatedStreamId = U32(4) & 0x7fffffff,
                    Priority = (byte)(p[8] >> 5),
                    Headers = DecodeHeaders(U32(0) & 0x7fffffff, p.AsSpan(10)),
                };
            case SpdyFrameType.SynReply:
            case SpdyFrameType.Headers:
                Need(4);
                return new SpdyFrame(type, flags, U32(0) & 0x7fffffff) { Headers = DecodeHeaders(U32(0) & 0x7fffffff, p.AsSpan(4)) };
            case SpdyFrameType.RstStream:
            case SpdyFrameType.WindowUpdate:
                Need(8);
                return new SpdyFrame(type, flags, U32(0) & 0x7fffffff) { Value = U32(4) & (type == SpdyFrameType.WindowUpdate ? 0x7fffffffu : 0xffffffffu) };
            case SpdyFrameType.Ping:
                Need(4);
                return new SpdyFrame(type, flags, 0) { Value = U32(0) };
            case SpdyFrameType.GoAway:
                Need(4);
                return new SpdyFrame(type, flags, U32(0) & 0x7fffffff) { Value = p.Length >= 8 ? U32(4) : 0 };
            default:
                // SETTINGS and unknown control frames: nothing a stream server needs from them.
                return new SpdyFrame(type, flags, 0) { Data = p };
        }
    }

    /// <summary>Inflates and parses a header block; one that inflates past the limit is refused (zlib bomb).</summary>
    SpdyHeaders DecodeHeaders(uint streamId, ReadOnlySpan<byte> block)
    {
        var inflated = _inflater.Decompress(block)
            ?? throw new SpdyProtocolException($"SPDY header block of stream {streamId} inflates past streaming.maxHeaderBlockSize ({_inflater.MaxBlock})",
                streamId, SpdyRstStatus.FrameTooLarge);
        return SpdyHeaders.Decode(inflated);
    }

    /// <summary>Encodes a frame into one buffer (header blocks compressed with this direction's context).</summary>
    public byte[] Encode(SpdyFrame frame)
    {
        if (frame.Type == SpdyFrameType.Data)
        {
            if (frame.Data.Length > MaxPayload) throw new ArgumentException("SPDY data frame too large");
            var buffer = new byte[8 + frame.Data.Length];
            BinaryPrimitives.WriteUInt32BigEndian(buffer, frame.StreamId & 0x7fffffff);
            WriteFlagsLength(buffer, frame.Flags, frame.Data.Length);
            frame.Data.Span.CopyTo(buffer.AsSpan(8));
            return buffer;
        }

        byte[] payload;
        switch (frame.Type)
        {
            case SpdyFrameType.SynStream:
            {
                var block = _deflater.Compress(frame.Headers.Encode());
                payload = new byte[10 + block.Length];
                BinaryPrimitives.WriteUInt32BigEndian(payload, frame.StreamId & 0x7fffffff);
                BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), frame.AssociatedStreamId & 0x7fffffff);
                payload[8] = (byte)(frame.Priority << 5);
                block.CopyTo(payload, 10);
                break;
            }
            case SpdyFrameType.SynReply:
            case SpdyFrameType.Headers:
            {
                var block = _deflater.Compress(frame.Headers.Encode());
                payload = new byte[4 + block.Length];
                BinaryPrimitives.WriteUInt32BigEndian(payload, frame.StreamId & 0x7fffffff);
                block.CopyTo(payload, 4);
                break;
            }
            case SpdyFrameType.RstStream:
            case SpdyFrameType.WindowUpdate:
            case SpdyFrameType.GoAway:
                payload = new byte[8];
                BinaryPrimitives.WriteUInt32BigEndian(payload, frame.StreamId & 0x7fffffff);
                BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), frame.Value);
                break;
            case SpdyFrameType.Ping:
                payload = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(payload, frame.Value);
                break;
            default:
                payload = frame.Data.ToArray();
                break;
        }
        var frameBytes = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frameBytes, 0x8000 | Version);
        BinaryPrimitives.WriteUInt16BigEndian(frameBytes.AsSpan(2), (ushort)frame.Type);
        WriteFlagsLength(frameBytes, frame.Flags, payload.Length);
        payload.CopyTo(frameBytes, 8);
        return frameBytes;
    }

    static void WriteFlagsLength(byte[] buffer, byte flags, int length)
    {
        buffer[4] = flags;
        buffer[5] = (byte)(length >> 16);
        buffer[6] = (byte)(length >> 8);
        buffer[7] = (byte)length;
    }

    public void Dispose()
    {
        _deflater.Dispose();
        _inflater.Dispose();
    }
}
