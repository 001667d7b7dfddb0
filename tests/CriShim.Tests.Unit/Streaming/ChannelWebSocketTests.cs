using System.Net.WebSockets;
using System.Text;
using CriShim.Streaming.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Unit.Streaming;

public class ChannelWebSocketTests
{
    static async Task<(ChannelWebSocket Server, WebSocket Client)> PairAsync(string protocol, int maxMessage = 16 * 1024 * 1024)
    {
        var (serverStream, clientStream) = await LoopbackPair.CreateAsync();
        var server = WebSocket.CreateFromStream(serverStream, new WebSocketCreationOptions { IsServer = true });
        var client = WebSocket.CreateFromStream(clientStream, new WebSocketCreationOptions { IsServer = false });
        return (new ChannelWebSocket(server, protocol, NullLogger.Instance, TimeSpan.Zero, maxMessage), client);
    }

    static async Task<WebSocketCloseStatus?> CloseStatusAsync(WebSocket client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[1024];
        while ((await client.ReceiveAsync(buffer, timeout.Token)).MessageType != WebSocketMessageType.Close) { }
        return client.CloseStatus;
    }

    [Test]
    public async Task A_message_over_its_channels_limit_closes_the_socket_as_a_policy_violation()
    {
        var (server, client) = await PairAsync("v5.channel.k8s.io");
        server.LimitMessages(4, 100);
        var resize = server.Input(4);
        var running = server.RunAsync();
        await client.SendAsync(new byte[] { 4 }.Concat(new byte[200]).ToArray(), WebSocketMessageType.Binary, true, default);
        Assert.That(await CloseStatusAsync(client), Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(server.Gone.IsCancellationRequested, Is.True, "the session ends with the socket");
        Assert.That(await resize.ReadAsync(new byte[1]), Is.Zero, "nothing of the refused message reached the channel");
    }

    [Test]
    public async Task A_message_over_the_general_limit_is_refused_even_when_sent_in_fragments()
    {
        var (server, client) = await PairAsync("v4.channel.k8s.io", maxMessage: 1000);
        var stdin = server.Input(0);
        _ = server.RunAsync();
        _ = stdin.CopyToAsync(Stream.Null);
        for (var i = 0; i < 5; i++) await client.SendAsync(new byte[400], WebSocketMessageType.Binary, false, default);
        Assert.That(await CloseStatusAsync(client), Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
    }

    [Test]
    public async Task A_message_reaches_its_channel_as_its_fragments_arrive()
    {
        var (server, client) = await PairAsync("v4.channel.k8s.io");
        var stdin = server.Input(0);
        _ = server.RunAsync();
        await client.SendAsync(new byte[] { 0, (byte)'a', (byte)'b' }, WebSocketMessageType.Binary, false, default);
        var first = new byte[2];
        await stdin.ReadExactlyAsync(first).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(Encoding.ASCII.GetString(first), Is.EqualTo("ab"), "delivered before the message ends");
        await client.SendAsync("cd"u8.ToArray(), WebSocketMessageType.Binary, true, default);
        await client.SendAsync(new byte[] { 1, (byte)'x' }, WebSocketMessageType.Binary, true, default); // another channel: not stdin
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        Assert.That(await ReadToEndAsync(stdin), Is.EqualTo("cd"));
    }

    [Test]
    public async Task Base64_split_mid_group_across_fragments_is_decoded()
    {
        var (server, client) = await PairAsync("base64.channel.k8s.io");
        var stdin = server.Input(0);
        _ = server.RunAsync();
        var text = "0" + Convert.ToBase64String("fragmented input"u8);
        await client.SendAsync(Encoding.ASCII.GetBytes(text[..6]), WebSocketMessageType.Text, false, default);
        await client.SendAsync(Encoding.ASCII.GetBytes(text[6..]), WebSocketMessageType.Text, true, default);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, default);
        Assert.That(await ReadToEndAsync(stdin), Is.EqualTo("fragmented input"));
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
