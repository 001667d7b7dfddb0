using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using CriShim.Streaming;
using CriShim.Streaming.Spdy;
using Microsoft.Extensions.Logging.Abstractions;
using static CriShim.Tests.Integration.Streaming.StreamingFixture;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>The pod runs `nc -ll -p 8080 -e cat` (an echo server) and httpd on 8081 inside its own network namespace.</summary>
public class PortForwardTests
{
    static string ForwardUrl(params int[] ports) => Server.UrlFor(new PortForwardStreamRequest(Pod, ports));

    static byte[] RandomBytes(int n)
    {
        var data = new byte[n];
        Random.Shared.NextBytes(data);
        return data;
    }

    static async Task<byte[]> EchoOverSpdyAsync(SpdyConnection connection, int requestId, byte[] payload, int port = 8080)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var error = await connection.OpenStreamAsync(new SpdyHeaders(("streamType", "error"), ("port", port.ToString()), ("requestID", requestId.ToString())), timeout.Token);
        var data = await connection.OpenStreamAsync(new SpdyHeaders(("streamType", "data"), ("port", port.ToString()), ("requestID", requestId.ToString())), timeout.Token);
        await error.CloseWriteAsync(); // like kubectl: the client only reads the error stream
        var received = new MemoryStream();
        var reading = data.CopyToAsync(received, timeout.Token);
        await data.WriteAsync(payload, timeout.Token);
        await data.CloseWriteAsync();
        await reading;
        var errors = Encoding.UTF8.GetString(await SpdyTestClient.ReadAllAsync(error));
        Assert.That(errors, Is.Empty, "error stream");
        return received.ToArray();
    }

    [Test]
    public async Task Port_forward_over_spdy_round_trips_binary_data_through_the_pod_network_namespace()
    {
        await using var client = await SpdyTestClient.ConnectAsync(ForwardUrl(8080), "portforward.k8s.io");
        Assert.That(client.Protocol, Is.EqualTo("portforward.k8s.io"));
        var payload = RandomBytes(1 << 20);
        Assert.That(await EchoOverSpdyAsync(client.Connection, 0, payload), Is.EqualTo(payload));
    }

    [Test]
    public async Task Several_connections_share_one_spdy_session_concurrently()
    {
        await using var client = await SpdyTestClient.ConnectAsync(ForwardUrl(8080), "portforward.k8s.io");
        var payloads = Enumerable.Range(0, 6).Select(i => RandomBytes(64 * 1024 + i)).ToArray();
        var echoes = await Task.WhenAll(payloads.Select((p, i) => EchoOverSpdyAsync(client.Connection, i, p)));
        for (var i = 0; i < payloads.Length; i++) Assert.That(echoes[i], Is.EqualTo(payloads[i]), $"connection {i}");
    }

    [Test]
    public async Task A_port_nobody_listens_on_is_reported_on_the_error_stream()
    {
        await using var client = await SpdyTestClient.ConnectAsync(ForwardUrl(9), "portforward.k8s.io");
        var error = await client.OpenAsync(("streamType", "error"), ("port", "9"), ("requestID", "0"));
        var data = await client.OpenAsync(("streamType", "data"), ("port", "9"), ("requestID", "0"));
        _ = SpdyTestClient.ReadAllAsync(data);
        var message = Encoding.UTF8.GetString(await SpdyTestClient.ReadAllAsync(error));
        Assert.That(message, Does.Contain("error forwarding port 9"));
    }

    [Test]
    public async Task The_pod_port_is_not_reachable_on_the_host_namespace_but_is_through_the_forward()
    {
        // httpd listens on 8081 in the pod's namespace only.
        using var host = new TcpClient();
        Assert.ThrowsAsync<SocketException>(() => host.ConnectAsync("127.0.0.1", 8081));

        await using var client = await SpdyTestClient.ConnectAsync(ForwardUrl(8081), "portforward.k8s.io");
        var error = await client.OpenAsync(("streamType", "error"), ("port", "8081"), ("requestID", "0"));
        var data = await client.OpenAsync(("streamType", "data"), ("port", "8081"), ("requestID", "0"));
        await data.WriteAsync("GET /index.html HTTP/1.0\r\n\r\n"u8.ToArray());
        var response = Encoding.UTF8.GetString(await SpdyTestClient.ReadAllAsync(data));
        Assert.That(response, Does.StartWith("HTTP/1.").And.Contain("hello from the pod"));
    }

    [Test]
    public async Task Port_forward_over_websocket_announces_the_ports_and_round_trips_data()
    {
        await using var client = await WebSocketTestClient.ConnectAsync(ForwardUrl(8080) + "?ports=8080", "v4.channel.k8s.io");
        var first = await client.ReceiveAsync();
        var second = await client.ReceiveAsync();
        Assert.That(new[] { first!.Value.Channel, second!.Value.Channel }, Is.EquivalentTo(new byte[] { 0, 1 }));
        Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(first.Value.Data), Is.EqualTo(8080));

        var payload = RandomBytes(300 * 1024);
        var sending = Task.Run(async () =>
        {
            for (var offset = 0; offset < payload.Length; offset += 16 * 1024)
                await client.SendAsync(0, payload.AsSpan(offset, Math.Min(16 * 1024, payload.Length - offset)));
        });
        var received = new MemoryStream();
        while (received.Length < payload.Length && await client.ReceiveAsync() is { } message)
        {
            Assert.That(message.Channel, Is.EqualTo(0), Encoding.UTF8.GetString(message.Data));
            received.Write(message.Data);
        }
        await sending;
        Assert.That(received.ToArray(), Is.EqualTo(payload));
    }

    [Test]
    public async Task Spdy_tunnelled_in_a_websocket_forwards_like_plain_spdy()
    {
        await using var ws = await WebSocketTestClient.ConnectRawAsync(ForwardUrl(8080), "SPDY/3.1+portforward.k8s.io");
        Assert.That(ws.Protocol, Is.EqualTo("SPDY/3.1+portforward.k8s.io"));
        var tunnel = WebSocketStream.Create(ws.Socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        await using var connection = new SpdyConnection(tunnel, isServer: false, NullLogger.Instance, TimeSpan.Zero);
        _ = connection.Start();
        var payload = RandomBytes(200 * 1024);
        Assert.That(await EchoOverSpdyAsync(connection, 0, payload), Is.EqualTo(payload));
    }
}
