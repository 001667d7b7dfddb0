using System.Buffers.Binary;

namespace CriShim.Streaming.Spdy;

/// <summary>
/// Reads and writes SPDY/3 frames on a byte stream. Frame header: control bit, 15-bit version, 16-bit type
/// (control) or 31-bit stream id (data); then 8-bit flags and a 24-bit length. Header blocks go through one
/// compression context per direction, so a framer belongs to exactly one connection.
/// Not thread-safe: the connection serialises writes and reads from one loop.
/// </summary>
public sealed class SpdyFramer(Stream transport) : IDisposable
{
    public const ushort Version = 3;
    public const int MaxPayload = (1 << 24) - 1;

    readonly HeaderDeflater _deflater = new();
    readonly HeaderInflater _inflater = new();
    readonly byte[] _header = new byte[8];

    /// <summary>Next frame, or null at a clean end of stream between frames.</summary>
    public async ValueTask<SpdyFrame?> ReadFrameAsync(CancellationToken ct)
    {
        var read = await transport.ReadAtLeastAsync(_header, 8, throwOnEndOfStream: false, ct);
        if (read == 0) return null;
        if (read < 8) throw new EndOfStreamException("SPDY frame header truncated");
        var flags = _header[4];
        var length = (_header[5] << 16) | (_header[6] << 8) | _header[7];
        var payload = length == 0 ? [] : new byte[length];
        if (length > 0) await transport.ReadExactlyAsync(payload, ct);

        if ((_header[0] & 0x80) == 0)
        {
            var streamId = BinaryPrimitives.ReadUInt32BigEndian(_header) & 0x7fffffff;
            return SpdyFrame.DataFrame(streamId, payload, (flags & SpdyFlags.Fin) != 0) with { Flags = flags };
        }
        var version = BinaryPrimitives.ReadUInt16BigEndian(_header) & 0x7fff;
        if (version != Version) throw new InvalidDataException($"unsupported SPDY version {version}");
        var type = (SpdyFrameType)BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2));
        return DecodeControl(type, flags, payload);
    }

    SpdyFrame DecodeControl(SpdyFrameType type, byte flags, byte[] p)
    {
        uint U32(int offset) => BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(offset));
        void Need(int n) { if (p.Length < n) throw new InvalidDataException($"SPDY {type} frame too short"); }
        switch (type)
        {
            case SpdyFrameType.SynStream:
                Need(10);
                return new SpdyFrame(type, flags, U32(0) & 0x7fffffff)
                {
                    AssociatedStreamId = U32(4) & 0x7fffffff,
                    Priority = (byte)(p[8] >> 5),
                    Headers = SpdyHeaders.Decode(_inflater.Decompress(p.AsSpan(10))),
                };
            case SpdyFrameType.SynReply:
            case SpdyFrameType.Headers:
                Need(4);
                return new SpdyFrame(type, flags, U32(0) & 0x7fffffff) { Headers = SpdyHeaders.Decode(_inflater.Decompress(p.AsSpan(4))) };
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
