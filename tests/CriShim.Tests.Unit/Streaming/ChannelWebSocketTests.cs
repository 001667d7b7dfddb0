using System.Net.WebSockets;
using System.Text;
using CriShim.Streaming.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Unit.Streaming;

public class ChannelWebSocketTests
{
    static async Task<(ChannelWebSocket Server, WebSocket Client)> PairAsync(string protocol)
    {
        var (serverStream, clientStream) = await LoopbackPair.CreateAsync();
        var server = WebSocket.CreateFromStream(serverStream, new WebSocketCreationOptions { IsServer = true });
        var client = WebSocket.CreateFromStream(clientStream, new WebSocketCreationOptions { IsServer = false });
        return (new ChannelWebSocket(server, protocol, NullLogger.Instance, TimeSpan.Zero), client);
    }

    static async Task<string> ReadToEndAsync(Stream s)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new MemoryStream();
        await s.CopyToAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    [Test]
    public async Task Messages_are_routed_by_their_first_byte_and_v5_close_ends_a_channel()
    {
        var (server, client) = await PairAsync("v5.channel.k8s.io");
        var stdin = server.Input(0);
        var resize = server.Input(4);
        _ = server.RunAsync();

        await client.SendAsync(new byte[] { 0, (byte)'h', (byte)'i' }, WebSocketMessageType.Binary, true, default);
        await client.SendAsync(new byte[] { 4, (byte)'{', (byte)'}' }, WebSocketMessageType.Binary, true, default);
        await client.SendAsync(new byte[] { ChannelWebSocket.CloseChannel, 0 }, WebSocketMessageType.Binary, true, default);

        Assert.That(await ReadToEndAsync(stdin), Is.EqualTo("hi"), "stdin ends at the close signal");
        var buffer = new byte[2];
        await resize.ReadExactlyAsync(buffer);
        Assert.That(Encoding.ASCII.GetString(buffer), Is.EqualTo("{}"), "other channels stay open");
        client.Abort();
    }

    [Test]
    public async Task Before_v5_channel_255_is_not_a_close_signal()
    {
        var (server, client) = await PairAsync("v4.channel.k8s.io");
        var stdin = server.Input(0);
        _ = server.RunAsync();
        await client.SendAsync(new byte[] { ChannelWebSocket.CloseChannel, 0 }, WebSocketMessageType.Binary, true, default);
        await client.SendAsync(new byte[] { 0, (byte)'x' }, WebSocketMessageType.Binary, true, default);
        var one = new byte[1];
        await stdin.ReadExactlyAsync(one);
        Assert.That(one[0], Is.EqualTo((byte)'x'));
        client.Abort();
    }

    [Test]
    public async Task Outputs_are_prefixed_with_their_channel_and_base64_protocols_send_text()
    {
        var (binary, binaryClient) = await PairAsync("v4.channel.k8s.io");
        await binary.Output(2).WriteAsync("err"u8.ToArray());
        var buffer = new byte[16];
        var result = await binaryClient.ReceiveAsync(buffer, default);
        Assert.That(buffer[..result.Count], Is.EqualTo(new byte[] { 2, (byte)'e', (byte)'r', (byte)'r' }));

        var (text, textClient) = await PairAsync("base64.channel.k8s.io");
        await text.Output(1).WriteAsync("out"u8.ToArray());
        result = await textClient.ReceiveAsync(buffer, default);
        Assert.That(result.MessageType, Is.EqualTo(WebSocketMessageType.Text));
        Assert.That(Encoding.ASCII.GetString(buffer, 0, result.Count), Is.EqualTo("1" + Convert.ToBase64String("out"u8)));
    }

    [Test]
    public async Task Base64_input_is_decoded()
    {
        var (server, client) = await PairAsync("base64.channel.k8s.io");
        var stdin = server.Input(0);
        _ = server.RunAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes("0" + Convert.ToBase64String("decoded"u8)), WebSocketMessageType.Text, true, default);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        Assert.That(await ReadToEndAsync(stdin), Is.EqualTo("decoded"));
    }
}
