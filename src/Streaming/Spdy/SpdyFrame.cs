namespace CriShim.Streaming.Spdy;

/// <summary>SPDY/3 frame types (control frames carry version 3 even when the upgrade says SPDY/3.1).</summary>
public enum SpdyFrameType : ushort
{
    Data = 0, SynStream = 1, SynReply = 2, RstStream = 3, Settings = 4, Ping = 6, GoAway = 7, Headers = 8, WindowUpdate = 9,
}

public static class SpdyFlags
{
    public const byte Fin = 0x01;
    public const byte Unidirectional = 0x02;
}

/// <summary>RST_STREAM status codes.</summary>
public enum SpdyRstStatus : uint
{
    ProtocolError = 1, InvalidStream = 2, RefusedStream = 3, UnsupportedVersion = 4, Cancel = 5, InternalError = 6,
    FlowControlError = 7, StreamInUse = 8, StreamAlreadyClosed = 9, FrameTooLarge = 11,
}

/// <summary>GOAWAY status codes.</summary>
public enum SpdyGoAwayStatus : uint { Ok = 0, ProtocolError = 1, InternalError = 2 }

/// <summary>
/// One decoded frame. Control frames keep their type-specific fields decoded; the header block of
/// SYN_STREAM/SYN_REPLY/HEADERS is already decompressed into <see cref="Headers"/>.
/// </summary>
public sealed record SpdyFrame(SpdyFrameType Type, byte Flags, uint StreamId)
{
    public ReadOnlyMemory<byte> Data { get; init; }
    public SpdyHeaders Headers { get; init; } = SpdyHeaders.Empty;
    public uint AssociatedStreamId { get; init; }
    public byte Priority { get; init; }
    /// <summary>RST_STREAM and GOAWAY status, PING id, WINDOW_UPDATE delta.</summary>
    public uint Value { get; init; }

    public bool Fin => (Flags & SpdyFlags.Fin) != 0;

    public static SpdyFrame DataFrame(uint streamId, ReadOnlyMemory<byte> data, bool fin = false) =>
        new(SpdyFrameType.Data, fin ? SpdyFlags.Fin : (byte)0, streamId) { Data = data };
    public static SpdyFrame SynStream(uint streamId, SpdyHeaders headers, bool fin = false) =>
        new(SpdyFrameType.SynStream, fin ? SpdyFlags.Fin : (byte)0, streamId) { Headers = headers };
    public static SpdyFrame SynReply(uint streamId, SpdyHeaders headers, bool fin = false) =>
        new(SpdyFrameType.SynReply, fin ? SpdyFlags.Fin : (byte)0, streamId) { Headers = headers };
    public static SpdyFrame Rst(uint streamId, SpdyRstStatus status) =>
        new(SpdyFrameType.RstStream, 0, streamId) { Value = (uint)status };
    public static SpdyFrame Ping(uint id) => new(SpdyFrameType.Ping, 0, 0) { Value = id };
    public static SpdyFrame GoAway(uint lastGoodStreamId, SpdyGoAwayStatus status = SpdyGoAwayStatus.Ok) =>
        new(SpdyFrameType.GoAway, 0, lastGoodStreamId) { Value = (uint)status };
}
