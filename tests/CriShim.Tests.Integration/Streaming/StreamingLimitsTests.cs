using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using CriShim.Streaming.Spdy;
using CriShim.Tests.Integration.Lifecycle;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>
/// The daemon's streaming server under hostile clients, with small limits from its config: each violation closes
/// only the offending stream or connection, costs no memory of the size a client declares, and the server goes
/// on serving others. The pod runs an echo server on 8080.
/// </summary>
public class StreamingLimitsTests : LifecycleFixture
{
    const int MaxStreams = 4;
    const int MaxUrls = 16;
    static readonly TimeSpan FrameReadTimeout = TimeSpan.FromSeconds(3);
    static readonly TimeSpan MaxSessionDuration = TimeSpan.FromSeconds(8);
    static readonly TimeSpan TokenTtl = TimeSpan.FromSeconds(4);
    string _podId = "";
    string _containerId = "";

    protected override void ConfigureDaemon(JsonObject config) =>
        config["Streaming"] = new JsonObject
        {
            ["FrameReadTimeout"] = FrameReadTimeout.ToString(),
            ["MaxSessionDuration"] = MaxSessionDuration.ToString(),
            ["TokenTtl"] = TokenTtl.ToString(),
            ["MaxOutstandingRequests"] = MaxUrls,
            ["MaxStreamsPerConnection"] = MaxStreams,
            ["MaxResizeMessageSize"] = 1024,
        };

    [OneTimeSetUp]
    public async Task StartPod()
    {
        var (podId, podConfig) = await RunPodAsync(Unique("limits"));
        _podId = podId;
        _containerId = await StartAsync(podId, podConfig, ContainerConfig("echo", "sh", "-c", "nc -ll -p 8080 -e cat & exec sleep 100000"));
    }

    async Task<string> ForwardUrlAsync() =>
        (await Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = _podId, Port = { 8080 } })).Url;

    async Task<string> ExecUrlAsync(bool tty, params string[] cmd) =>
        (await Runtime.ExecAsync(new ExecRequest { ContainerId = _containerId, Tty = tty, Stdin = tty, Stdout = true, Stderr = !tty, Cmd = { cmd } })).Url;

    /// <summary>Frames the server sends until it closes the connection.</summary>
    static async Task<List<SpdyFrame>> FramesUntilClosedAsync(NetworkStream stream, TimeSpan within)
    {
        using var framer = new SpdyFramer(stream);
        using var timeout = new CancellationTokenSource(within);
        var frames = new List<SpdyFrame>();
        try
        {
            while (await framer.ReadFrameAsync(timeout.Token) is { } frame) frames.Add(frame);
        }
        catch (IOException) { } // a reset after the GOAWAY is a close too
        return frames;
    }

    static long DaemonRssBytes(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    async Task AssertExecStillWorksAsync()
    {
        await using var client = await SpdyTestClient.ConnectAsync(await ExecUrlAsync(false, "echo", "still serving"), "v4.channel.k8s.io");
        var error = await client.OpenAsync(("streamType", "error"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));
        var stderr = await client.OpenAsync(("streamType", "stderr"));
        _ = SpdyTestClient.ReadAllAsync(stderr);
        Assert.That(Encoding.UTF8.GetString(await SpdyTestClient.ReadAllAsync(stdout)), Is.EqualTo("still serving\n"));
        Assert.That((string?)JsonNode.Parse(await SpdyTestClient.ReadAllAsync(error))!["status"], Is.EqualTo("Success"));
    }

    [Test]
    public async Task Frame_headers_declaring_16_MiB_then_stalling_lose_their_connections_without_costing_that_memory()
    {
        const int connections = 8;
        const int declared = SpdyFramer.MaxPayload; // 16 MiB - 1
        const int sent = 8 * 1024 * 1024;
        var streams = new List<NetworkStream>();
        try
        {
            var before = DaemonRssBytes(Daemon.Pid);
            for (var i = 0; i < connections; i++)
            {
                var (stream, _) = await SpdyTestClient.UpgradeAsync(await ForwardUrlAsync(), "portforward.k8s.io");
                streams.Add(stream);
                var frame = new byte[8 + sent];
                BinaryPrimitives.WriteUInt32BigEndian(frame, 1); // DATA on stream 1
                frame[5] = frame[6] = frame[7] = 0xff; // the largest length SPDY can declare
                await stream.WriteAsync(frame); // half of the declared payload, then nothing
            }
            await Task.Delay(FrameReadTimeout / 3);
            var grown = DaemonRssBytes(Daemon.Pid) - before;
            TestContext.Progress.WriteLine($"daemon RSS grew by {grown / 1024} KiB with {connections} frames declaring {declared / 1024} KiB each, stalled after {sent / 1024} KiB");
            Assert.That(grown, Is.LessThan(declared), $"the daemon must not hold what {connections} stalled frames declared ({connections} x {declared / 1024} KiB)");

            var watch = Stopwatch.StartNew();
            foreach (var stream in streams)
            {
                var frames = await FramesUntilClosedAsync(stream, FrameReadTimeout * 4);
                Assert.That(frames.Any(f => f.Type == SpdyFrameType.GoAway && f.Value == (uint)SpdyGoAwayStatus.ProtocolError), Is.True,
                    $"GOAWAY PROTOCOL_ERROR expected, got {string.Join(",", frames.Select(f => f.Type))}");
            }
            Assert.That(watch.Elapsed, Is.LessThan(FrameReadTimeout * 3), "every stalled connection was closed after the frame read timeout");
        }
        finally
        {
            foreach (var stream in streams) await stream.DisposeAsync();
        }
        await AssertExecStillWorksAsync();
    }

    [Test]
    public async Task A_header_block_that_inflates_past_the_limit_is_refused_with_rst_stream_and_goaway()
    {
        var (stream, _) = await SpdyTestClient.UpgradeAsync(await ForwardUrlAsync(), "portforward.k8s.io");
        await using var _s = stream;
        using var framer = new SpdyFramer(Stream.Null);
        var bomb = framer.Encode(SpdyFrame.SynStream(1, new SpdyHeaders(("streamType", "data"), ("port", "8080"), ("x-pad", new string('a', 256 * 1024)))));
        Assert.That(bomb, Has.Length.LessThan(4 * 1024), "a small frame whose header block inflates to 256 KiB");
        await stream.WriteAsync(bomb);

        var frames = await FramesUntilClosedAsync(stream, TimeSpan.FromSeconds(20));
        Assert.That(frames.Any(f => f.Type == SpdyFrameType.RstStream && f.StreamId == 1 && f.Value == (uint)SpdyRstStatus.FrameTooLarge), Is.True,
            $"RST_STREAM FRAME_TOO_LARGE expected, got {string.Join(",", frames.Select(f => f.Type))}");
        Assert.That(frames.Any(f => f.Type == SpdyFrameType.GoAway && f.Value == (uint)SpdyGoAwayStatus.ProtocolError), Is.True, "GOAWAY PROTOCOL_ERROR");
        await AssertExecStillWorksAsync();
    }

    [Test]
    public async Task Port_forward_streams_beyond_the_per_connection_limit_are_refused_and_the_others_keep_working()
    {
        await using var client = await SpdyTestClient.ConnectAsync(await ForwardUrlAsync(), "portforward.k8s.io");
        var data = new List<SpdyStream>();
        for (var i = 0; i < MaxStreams / 2; i++)
        {
            await client.OpenAsync(("streamType", "error"), ("port", "8080"), ("requestID", i.ToString()));
            data.Add(await client.OpenAsync(("streamType", "data"), ("port", "8080"), ("requestID", i.ToString())));
        }
        Assert.CatchAsync<IOException>(() => client.OpenAsync(("streamType", "error"), ("port", "8080"), ("requestID", "99")),
            "stream number {0} is refused", MaxStreams + 1);

        foreach (var stream in data)
        {
            await stream.WriteAsync("echo\n"u8.ToArray());
            var echoed = new byte[5];
            await stream.ReadExactlyAsync(echoed).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.That(Encoding.ASCII.GetString(echoed), Is.EqualTo("echo\n"));
        }
        Assert.That(client.Connection.Closed.IsCancellationRequested, Is.False, "the connection itself stays up");
    }

    static byte[] OversizedResize() => Encoding.ASCII.GetBytes($"{{\"Width\":100,\"Height\":30,\"Pad\":\"{new string('x', 8 * 1024)}\"}}\n");

    [Test]
    public async Task An_oversized_resize_message_over_spdy_resets_the_resize_stream_and_the_command_goes_on()
    {
        await using var client = await SpdyTestClient.ConnectAsync(await ExecUrlAsync(true, "sh"), "v4.channel.k8s.io");
        var error = await client.OpenAsync(("streamType", "error"));
        var stdin = await client.OpenAsync(("streamType", "stdin"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));
        var resize = await client.OpenAsync(("streamType", "resize"));
        _ = SpdyTestClient.ReadAllAsync(stdout);

        await resize.WriteAsync(OversizedResize());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.That(await resize.ReadAsync(new byte[1], timeout.Token), Is.Zero);
        Assert.That(resize.WasReset, Is.True, "the resize stream is reset");

        await stdin.WriteAsync("exit 7\n"u8.ToArray());
        var status = JsonNode.Parse(await SpdyTestClient.ReadAllAsync(error).WaitAsync(TimeSpan.FromSeconds(20)))!;
        Assert.That((string?)status["details"]!["causes"]![0]!["message"], Is.EqualTo("7"));
    }

    [Test]
    public async Task An_oversized_resize_message_over_websocket_closes_the_session_as_a_policy_violation()
    {
        await using var client = await WebSocketTestClient.ConnectAsync(await ExecUrlAsync(true, "sh"), "v5.channel.k8s.io");
        await client.SendAsync(4, OversizedResize());
        while (await client.ReceiveAsync() is not null) { }
        Assert.That(client.Socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        await AssertExecStillWorksAsync();
    }

    [Test]
    public async Task A_session_is_closed_when_it_reaches_the_max_session_duration()
    {
        await using var client = await SpdyTestClient.ConnectAsync(await ExecUrlAsync(false, "sleep", "1000"), "v4.channel.k8s.io");
        var watch = Stopwatch.StartNew();
        var error = await client.OpenAsync(("streamType", "error"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));
        var stderr = await client.OpenAsync(("streamType", "stderr"));
        _ = SpdyTestClient.ReadAllAsync(stdout);
        _ = SpdyTestClient.ReadAllAsync(stderr);
        await Task.Delay(Timeout.Infinite, client.Connection.Closed).ContinueWith(_ => { }, new CancellationTokenSource(MaxSessionDuration * 3).Token);
        Assert.That(client.Connection.Closed.IsCancellationRequested, Is.True, "closed by the server");
        Assert.That(watch.Elapsed, Is.GreaterThan(MaxSessionDuration * 0.75), "not before the deadline");
    }

    [Test]
    public async Task Urls_beyond_the_outstanding_limit_are_resource_exhausted_until_the_old_ones_expire()
    {
        await Task.Delay(TokenTtl); // URLs other tests left unused have expired
        for (var i = 0; i < MaxUrls; i++) await ForwardUrlAsync();
        Assert.That(await CodeOf(ForwardUrlAsync), Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(await CodeOf(() => ExecUrlAsync(false, "true")), Is.EqualTo(StatusCode.ResourceExhausted));

        await Task.Delay(TokenTtl + TimeSpan.FromSeconds(1));
        await AssertExecStillWorksAsync();
    }
}
