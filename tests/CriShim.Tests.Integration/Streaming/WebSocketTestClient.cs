using System.Net.WebSockets;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>A Kubernetes channel WebSocket client: sends and receives channel-prefixed binary messages.</summary>
sealed class WebSocketTestClient : IAsyncDisposable
{
    WebSocket _socket = new ClientWebSocket();
    string? _rawProtocol;

    public string? Protocol => _rawProtocol ?? _socket.SubProtocol;
    public WebSocket Socket => _socket;

    /// <summary>Handshake by hand, for subprotocols .NET's client refuses to name (SPDY/3.1+portforward.k8s.io).</summary>
    public static async Task<WebSocketTestClient> ConnectRawAsync(string url, string protocol)
    {
        var uri = new Uri(url);
        var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var request = $"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
                      $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        var head = await SpdyTestClient.ReadHeadAsync(stream);
        if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal)) throw new WebSocketException($"handshake refused: {head}");
        var chosen = head.Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Protocol:", StringComparison.OrdinalIgnoreCase)).Split(':', 2)[1].Trim();
        return new WebSocketTestClient
        {
            _socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false }),
            _rawProtocol = chosen,
        };
    }

    public static async Task<WebSocketTestClient> ConnectAsync(string url, params string[] protocols)
    {
        var client = new WebSocketTestClient();
        var socket = (ClientWebSocket)client._socket;
        foreach (var p in protocols) socket.Options.AddSubProtocol(p);
        await socket.ConnectAsync(new Uri(url.Replace("http://", "ws://")), new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        return client;
    }

    public Task SendAsync(byte channel, ReadOnlySpan<byte> data)
    {
        var frame = new byte[data.Length + 1];
        frame[0] = channel;
        data.CopyTo(frame.AsSpan(1));
        return _socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
    }

    /// <summary>The next message as (channel, payload), or null once the server closed.</summary>
    public async Task<(byte Channel, byte[] Data)?> ReceiveAsync()
    {
        var buffer = new byte[128 * 1024];
        var message = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return null;
            }
            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage) continue;
            var bytes = message.ToArray();
            return (bytes[0], bytes[1..]);
        }
    }

    /// <summary>Everything received per channel until the server closes.</summary>
    public async Task<Dictionary<byte, MemoryStream>> ReceiveAllAsync()
    {
        var channels = new Dictionary<byte, MemoryStream>();
        while (await ReceiveAsync() is { } message)
        {
            if (!channels.TryGetValue(message.Channel, out var stream)) channels[message.Channel] = stream = new MemoryStream();
            stream.Write(message.Data);
        }
        return channels;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
