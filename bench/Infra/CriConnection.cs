using System.Net.Sockets;
using Grpc.Net.Client;
using Runtime.V1;

namespace CriShim.Bench.Infra;

/// <summary>CRI clients over a unix socket, the way kubelet talks to a runtime.</summary>
sealed class CriConnection : IDisposable
{
    readonly GrpcChannel _channel;

    public CriConnection(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch { socket.Dispose(); throw; }
            },
            // burst workloads send 50+ calls at once; don't let one connection's stream limit queue them
            EnableMultipleHttp2Connections = true,
        };
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
        Images = new ImageService.ImageServiceClient(_channel);
    }

    public RuntimeService.RuntimeServiceClient Runtime { get; }
    public ImageService.ImageServiceClient Images { get; }

    public void Dispose() => _channel.Dispose();
}
