using System.Buffers.Binary;
using CriShim.Streaming;
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

    static byte[] Header(uint first4, byte flags, int length)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, first4);
        header[4] = flags;
        header[5] = (byte)(length >> 16);
        header[6] = (byte)(length >> 8);
        header[7] = (byte)length;
        return header;
    }

    [Test]
    public void A_control_frame_over_the_limit_is_refused_before_its_payload_arrives()
    {
        // A SYN_STREAM declaring 16 MiB of which only the stream id is ever sent.
        var wire = new MemoryStream([.. Header(0x8000_0000u | (SpdyFramer.Version << 16) | (uint)SpdyFrameType.SynStream, 0, SpdyFramer.MaxPayload), 0, 0, 0, 5]);
        using var framer = new SpdyFramer(wire, new StreamingServerOptions { MaxControlFrameSize = 1024 });
        var e = Assert.ThrowsAsync<SpdyProtocolException>(() => framer.ReadFrameAsync(CancellationToken.None).AsTask());
        Assert.That(e!.StreamId, Is.EqualTo(5));
        Assert.That(e.StreamStatus, Is.EqualTo(SpdyRstStatus.FrameTooLarge));
        Assert.That(e.Message, Does.Contain("maxControlFrameSize"));
    }

    [Test]
    public void A_header_block_that_inflates_past_the_limit_is_refused()
    {
        var wire = new MemoryStream();
        using var writer = new SpdyFramer(wire);
        wire.Write(writer.Encode(SpdyFrame.SynStream(3, new SpdyHeaders(("x-pad", new string('a', 512 * 1024))))));
        Assert.That(wire.Length, Is.LessThan(4096), "the compressed block is small: a bomb");
        wire.Position = 0;
        using var reader = new SpdyFramer(wire, new StreamingServerOptions { MaxHeaderBlockSize = 64 * 1024 });
        var e = Assert.ThrowsAsync<SpdyProtocolException>(() => reader.ReadFrameAsync(CancellationToken.None).AsTask());
        Assert.That(e!.StreamId, Is.EqualTo(3));
        Assert.That(e.Message, Does.Contain("maxHeaderBlockSize"));
    }

    [Test]
    public void A_header_block_within_the_limit_still_inflates()
    {
        var wire = new MemoryStream();
        using var writer = new SpdyFramer(wire);
        wire.Write(writer.Encode(SpdyFrame.SynStream(3, new SpdyHeaders(("x-pad", new string('a', 32 * 1024))))));
        wire.Position = 0;
        using var reader = new SpdyFramer(wire, new StreamingServerOptions { MaxHeaderBlockSize = 64 * 1024 });
        Assert.That(reader.ReadFrameAsync(CancellationToken.None).AsTask().Result!.Headers.Get("x-pad"), Has.Length.EqualTo(32 * 1024));
    }

    [Test]
    public async Task A_large_data_frame_is_read_in_bounded_pieces_with_fin_on_the_last()
    {
        var payload = new byte[SpdyFramer.DataPiece * 3 + 100];
        Random.Shared.NextBytes(payload);
        var wire = new MemoryStream();
        using (var writer = new SpdyFramer(wire)) wire.Write(writer.Encode(SpdyFrame.DataFrame(7, payload, fin: true)));
        wire.Position = 0;
        using var reader = new SpdyFramer(wire);
        var pieces = new List<SpdyFrame>();
        var received = new MemoryStream();
        while (await reader.ReadFrameAsync(CancellationToken.None) is { } frame)
        {
            pieces.Add(frame);
            received.Write(frame.Data.Span); // valid until the next read
        }

        Assert.That(pieces, Has.Count.EqualTo(4));
        Assert.That(pieces, Has.All.Matches<SpdyFrame>(f => f.StreamId == 7 && f.Data.Length <= SpdyFramer.DataPiece));
        Assert.That(pieces.Select(f => f.Fin), Is.EqualTo(new[] { false, false, false, true }));
        Assert.That(received.ToArray(), Is.EqualTo(payload));
    }

    [Test]
    public async Task A_frame_that_stalls_halfway_is_a_violation_after_the_frame_read_timeout()
    {
        var (server, client) = await LoopbackPair.CreateAsync();
        await using var _s = server;
        await using var _c = client;
        await client.WriteAsync(Header(1, 0, SpdyFramer.MaxPayload)); // DATA declaring 16 MiB, then silence
        await client.WriteAsync(new byte[100]);
        using var framer = new SpdyFramer(server, new StreamingServerOptions { FrameReadTimeout = TimeSpan.FromMilliseconds(300) });
        var e = Assert.ThrowsAsync<SpdyProtocolException>(() => framer.ReadFrameAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(e!.Message, Does.Contain("frameReadTimeout"));
    }

    [Test]
    public async Task A_quiet_connection_between_frames_is_not_a_stall()
    {
        var (server, client) = await LoopbackPair.CreateAsync();
        await using var _s = server;
        await using var _c = client;
        using var framer = new SpdyFramer(server, new StreamingServerOptions { FrameReadTimeout = TimeSpan.FromMilliseconds(100) });
        var reading = framer.ReadFrameAsync(CancellationToken.None).AsTask();
        await Task.Delay(500);
        Assert.That(reading.IsCompleted, Is.False, "waiting for the next frame is the idle timeout's business");
        using var writer = new SpdyFramer(Stream.Null);
        await client.WriteAsync(writer.Encode(SpdyFrame.Ping(1)));
        Assert.That((await reading.WaitAsync(TimeSpan.FromSeconds(10)))!.Type, Is.EqualTo(SpdyFrameType.Ping));
    }

    static uint Adler32(byte[] data)
    {
        uint a = 1, b = 0;
        foreach (var x in data) { a = (a + x) % 65521; b = (b + a) % 65521; }
        return b << 16 | a;
    }
}
