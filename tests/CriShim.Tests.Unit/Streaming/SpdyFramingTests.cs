using CriShim.Streaming.Spdy;

namespace CriShim.Tests.Unit.Streaming;

public class SpdyFramingTests
{
    [Test]
    public void The_header_dictionary_is_the_spdy3_one()
    {
        Assert.That(SpdyDictionary.Bytes, Has.Length.EqualTo(1423));
        Assert.That(Adler32(SpdyDictionary.Bytes), Is.EqualTo(0xE3C6A7C2u));
    }

    [Test]
    public void Frames_read_back_as_written_including_compressed_headers_across_several_blocks()
    {
        var wire = new MemoryStream();
        using var writer = new SpdyFramer(wire);
        var headers = new SpdyHeaders(("streamType", "stdout"), ("port", "8080"), ("requestid", "0"));
        var frames = new[]
        {
            SpdyFrame.SynStream(1, headers),
            SpdyFrame.SynStream(3, new SpdyHeaders(("streamtype", "error"))),
            SpdyFrame.SynReply(1, SpdyHeaders.Empty),
            SpdyFrame.DataFrame(1, "hello"u8.ToArray()),
            SpdyFrame.DataFrame(1, ReadOnlyMemory<byte>.Empty, fin: true),
            SpdyFrame.Rst(3, SpdyRstStatus.Cancel),
            SpdyFrame.Ping(7),
            SpdyFrame.GoAway(3),
        };
        foreach (var frame in frames) wire.Write(writer.Encode(frame));

        wire.Position = 0;
        using var reader = new SpdyFramer(wire);
        var read = new List<SpdyFrame>();
        while (reader.ReadFrameAsync(CancellationToken.None).AsTask().Result is { } frame) read.Add(frame);

        Assert.That(read.Select(f => f.Type), Is.EqualTo(frames.Select(f => f.Type)));
        Assert.That(read[0].StreamId, Is.EqualTo(1));
        Assert.That(read[0].Headers.Get("streamtype"), Is.EqualTo("stdout"), "names are lowercased on the wire");
        Assert.That(read[0].Headers.Get("port"), Is.EqualTo("8080"));
        Assert.That(read[1].Headers.Get("streamType"), Is.EqualTo("error"));
        Assert.That(read[3].Data.ToArray(), Is.EqualTo("hello"u8.ToArray()));
        Assert.That(read[4].Fin, Is.True);
        Assert.That(read[5].Value, Is.EqualTo((uint)SpdyRstStatus.Cancel));
        Assert.That(read[6].Value, Is.EqualTo(7));
        Assert.That(read[7].StreamId, Is.EqualTo(3));
    }

    [Test]
    public void Header_blocks_are_a_zlib_stream_primed_with_the_dictionary()
    {
        using var framer = new SpdyFramer(Stream.Null);
        var frame = framer.Encode(SpdyFrame.SynReply(1, new SpdyHeaders(("x-stream-protocol-version", "v4.channel.k8s.io"))));
        var block = frame.AsSpan(12).ToArray();
        // zlib header: CMF, FLG with FDICT set, then the dictionary's Adler-32.
        Assert.That(block[1] & 0x20, Is.Not.Zero);
        Assert.That((uint)(block[2] << 24 | block[3] << 16 | block[4] << 8 | block[5]), Is.EqualTo(0xE3C6A7C2u));
        // Sync-flushed: the block ends with the empty stored block marker.
        Assert.That(block[^4..], Is.EqualTo(new byte[] { 0, 0, 0xff, 0xff }));
    }

    [Test]
    public void Several_values_of_one_header_travel_nul_separated_and_come_back_apart()
    {
        var headers = new SpdyHeaders(("x", "a"), ("x", "b"), ("y", "c"));
        var decoded = SpdyHeaders.Decode(headers.Encode());
        Assert.That(decoded.Entries.Where(e => e.Key == "x").Select(e => e.Value), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(decoded.Get("y"), Is.EqualTo("c"));
    }

    [Test]
    public void A_truncated_header_block_is_refused()
    {
        var block = new SpdyHeaders(("name", "value")).Encode();
        Assert.Throws<InvalidDataException>(() => SpdyHeaders.Decode(block.AsSpan(0, block.Length - 2)));
    }

    static uint Adler32(byte[] data)
    {
        uint a = 1, b = 0;
        foreach (var x in data) { a = (a + x) % 65521; b = (b + a) % 65521; }
        return b << 16 | a;
    }
}
