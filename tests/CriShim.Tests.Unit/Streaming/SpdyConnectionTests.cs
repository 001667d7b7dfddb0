using System.Text;
using CriShim.Streaming;
using CriShim.Streaming.Spdy;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Unit.Streaming;

public class SpdyConnectionTests
{
    static async Task<(SpdyConnection Server, SpdyConnection Client)> PairAsync(TimeSpan? serverIdle = null)
    {
        var (s, c) = await LoopbackPair.CreateAsync();
        var server = new SpdyConnection(s, isServer: true, NullLogger.Instance, serverIdle ?? TimeSpan.Zero);
        var client = new SpdyConnection(c, isServer: false, NullLogger.Instance, TimeSpan.Zero);
        _ = server.Start();
        _ = client.Start();
        return (server, client);
    }

    static CancellationToken Soon => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

    [Test]
    public async Task A_stream_opened_by_the_client_is_accepted_with_its_headers_and_carries_data_both_ways()
    {
        var (server, client) = await PairAsync();
        await using var _s = server;
        await using var _c = client;
        var opened = await client.OpenStreamAsync(new SpdyHeaders(("streamType", "stdin")), Soon);
        var accepted = await server.AcceptedStreams.ReadAsync(Soon);
        Assert.That(accepted.Headers.Get("streamtype"), Is.EqualTo("stdin"));
        Assert.That(accepted.Id, Is.EqualTo(opened.Id).And.EqualTo(1u));

        await opened.WriteAsync("ping"u8.ToArray(), Soon);
        await opened.CloseWriteAsync();
        var received = new MemoryStream();
        await accepted.CopyToAsync(received, Soon);
        Assert.That(Encoding.ASCII.GetString(received.ToArray()), Is.EqualTo("ping"), "the FIN ends the server's read");

        await accepted.WriteAsync("pong"u8.ToArray(), Soon);
        await accepted.CloseWriteAsync();
        received.SetLength(0);
        await opened.CopyToAsync(received, Soon);
        Assert.That(Encoding.ASCII.GetString(received.ToArray()), Is.EqualTo("pong"));
    }

    [Test]
    public async Task Large_writes_are_split_into_frames_and_reassembled()
    {
        var (server, client) = await PairAsync();
        await using var _s = server;
        await using var _c = client;
        var opened = await client.OpenStreamAsync(new SpdyHeaders(("streamType", "data")), Soon);
        var accepted = await server.AcceptedStreams.ReadAsync(Soon);
        var payload = new byte[SpdyConnection.MaxDataChunk * 5 + 123];
        Random.Shared.NextBytes(payload);
        var reading = Task.Run(async () => { var m = new MemoryStream(); await accepted.CopyToAsync(m, Soon); return m.ToArray(); });
        await opened.WriteAsync(payload, Soon);
        await opened.CloseWriteAsync();
        Assert.That(await reading, Is.EqualTo(payload));
    }

    [Test]
    public async Task A_reset_stream_reads_as_ended()
    {
        var (server, client) = await PairAsync();
        await using var _s = server;
        await using var _c = client;
        var opened = await client.OpenStreamAsync(new SpdyHeaders(("streamType", "data")), Soon);
        var accepted = await server.AcceptedStreams.ReadAsync(Soon);
        await opened.ResetAsync();
        Assert.That(await accepted.ReadAsync(new byte[10], Soon), Is.Zero);
        Assert.That(accepted.WasReset, Is.True);
    }

    [Test]
    public async Task A_connection_without_traffic_is_closed_after_its_idle_timeout()
    {
        var (server, client) = await PairAsync(serverIdle: TimeSpan.FromMilliseconds(200));
        await using var _s = server;
        await using var _c = client;
        await Task.Delay(Timeout.Infinite, server.Closed).ContinueWith(_ => { }, Soon);
        Assert.That(server.Closed.IsCancellationRequested, Is.True);
    }

    [Test]
    public async Task Streams_beyond_the_per_connection_limit_are_refused_and_the_connection_stays_up()
    {
        var (s, c) = await LoopbackPair.CreateAsync();
        await using var server = new SpdyConnection(s, isServer: true, NullLogger.Instance, TimeSpan.Zero, new StreamingServerOptions { MaxStreamsPerConnection = 2 });
        await using var client = new SpdyConnection(c, isServer: false, NullLogger.Instance, TimeSpan.Zero);
        _ = server.Start();
        _ = client.Start();
        var first = await client.OpenStreamAsync(new SpdyHeaders(("streamType", "data")), Soon);
        await client.OpenStreamAsync(new SpdyHeaders(("streamType", "data")), Soon);
        Assert.CatchAsync<IOException>(() => client.OpenStreamAsync(new SpdyHeaders(("streamType", "data")), Soon));

        var accepted = await server.AcceptedStreams.ReadAsync(Soon);
        await first.WriteAsync("still"u8.ToArray(), Soon);
        var buffer = new byte[5];
        await accepted.ReadExactlyAsync(buffer, Soon);
        Assert.That(Encoding.ASCII.GetString(buffer), Is.EqualTo("still"));
        Assert.That(server.Closed.IsCancellationRequested, Is.False);
    }

    [Test]
    public async Task A_peer_sending_an_oversized_control_frame_gets_rst_stream_and_goaway_and_is_disconnected()
    {
        var (s, c) = await LoopbackPair.CreateAsync();
        await using var server = new SpdyConnection(s, isServer: true, NullLogger.Instance, TimeSpan.Zero, new StreamingServerOptions { MaxControlFrameSize = 1024 });
        _ = server.Start();
        using var framer = new SpdyFramer(c);
        // SYN_STREAM for stream 1 declaring 4 KiB; the server must not wait for (or allocate) the rest.
        await c.WriteAsync(new byte[] { 0x80, 3, 0, (byte)SpdyFrameType.SynStream, 0, 0, 0x10, 0, 0, 0, 0, 1 });

        var replies = new List<SpdyFrame>();
        while (await framer.ReadFrameAsync(Soon) is { } reply) replies.Add(reply);
        Assert.That(replies.Select(f => (f.Type, f.Value)), Is.EqualTo(new[]
        {
            (SpdyFrameType.RstStream, (uint)SpdyRstStatus.FrameTooLarge),
            (SpdyFrameType.GoAway, (uint)SpdyGoAwayStatus.ProtocolError),
        }));
        Assert.That(replies[0].StreamId, Is.EqualTo(1));
        Assert.That(server.Closed.IsCancellationRequested, Is.True);
    }

    [Test]
    public async Task Stream_ids_of_the_wrong_parity_are_refused()
    {
        // A "client" that thinks it is a server opens even-numbered streams: the server must not accept them.
        var (s, c) = await LoopbackPair.CreateAsync();
        await using var server = new SpdyConnection(s, isServer: true, NullLogger.Instance, TimeSpan.Zero);
        await using var impostor = new SpdyConnection(c, isServer: true, NullLogger.Instance, TimeSpan.Zero);
        _ = server.Start();
        _ = impostor.Start();
        Assert.CatchAsync<IOException>(() => impostor.OpenStreamAsync(new SpdyHeaders(("streamType", "x")), Soon));
        Assert.That(server.AcceptedStreams.TryRead(out _), Is.False);
    }
}
