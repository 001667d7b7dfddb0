using System.Net;
using System.Net.Sockets;

namespace CriShim.Tests.Unit.Streaming;

/// <summary>Two connected streams over loopback TCP: enough transport for protocol tests.</summary>
static class LoopbackPair
{
    public static async Task<(NetworkStream Server, NetworkStream Client)> CreateAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        var accept = listener.AcceptTcpClientAsync();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var server = await accept;
        return (server.GetStream(), client.GetStream());
    }
}
