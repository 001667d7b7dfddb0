using System.Net.Sockets;
using System.Text;
using CriShim.Streaming.Spdy;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>A minimal SPDY client: HTTP/1.1 upgrade by hand, then our SPDY connection in the client role.</summary>
sealed class SpdyTestClient : IAsyncDisposable
{
    public required SpdyConnection Connection { get; init; }
    public required string Protocol { get; init; }

    public static async Task<SpdyTestClient> ConnectAsync(string url, params string[] protocols)
    {
        var (stream, protocol) = await UpgradeAsync(url, protocols);
        var connection = new SpdyConnection(stream, isServer: false, NullLogger.Instance, TimeSpan.Zero);
        _ = connection.Start();
        return new SpdyTestClient { Connection = connection, Protocol = protocol };
    }

    /// <summary>The upgraded connection itself, for tests that write frames by hand.</summary>
    public static async Task<(NetworkStream Stream, string Protocol)> UpgradeAsync(string url, params string[] protocols)
    {
        var uri = new Uri(url);
        var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var request = new StringBuilder()
            .Append($"POST {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\n")
            .Append("Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nContent-Length: 0\r\n");
        foreach (var p in protocols) request.Append($"X-Stream-Protocol-Version: {p}\r\n");
        request.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));
        var head = await ReadHeadAsync(stream);
        if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            tcp.Dispose();
            throw new HttpRequestException($"upgrade refused: {head}");
        }
        var protocol = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("X-Stream-Protocol-Version:", StringComparison.OrdinalIgnoreCase))?.Split(':', 2)[1].Trim() ?? "";
        return (stream, protocol);
    }

    public static async Task<string> ReadHeadAsync(Stream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0) throw new EndOfStreamException("connection closed during the upgrade");
            head.Add(one[0]);
        }
        return Encoding.ASCII.GetString(head.ToArray());
    }

    public Task<SpdyStream> OpenAsync(params (string, string)[] headers) =>
        Connection.OpenStreamAsync(new SpdyHeaders(headers), new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

    public static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
