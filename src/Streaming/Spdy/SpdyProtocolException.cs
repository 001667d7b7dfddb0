namespace CriShim.Streaming.Spdy;

/// <summary>
/// The peer broke the protocol or one of our limits (frame too large, header bomb, a frame stalled halfway): the
/// connection answers with RST_STREAM for the offending stream (when it is known) and GOAWAY, then closes.
/// </summary>
public sealed class SpdyProtocolException(string message, uint streamId = 0, SpdyRstStatus streamStatus = SpdyRstStatus.ProtocolError)
    : Exception(message)
{
    /// <summary>The stream the violation belongs to; 0 when it concerns the connection only.</summary>
    public uint StreamId { get; } = streamId;
    public SpdyRstStatus StreamStatus { get; } = streamStatus;
}
