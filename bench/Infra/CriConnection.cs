using System.Net.Sockets;
using Grpc.Net.Client;
using Runtime.V1;

namespace CriShim.Bench.Infra;

/// <summary>CRI clients over a unix socket, the way kubelet talks to a runtime.</summary>
sealed class CriConnection : IDisposable
{
    readonly GrpcChannel _channel;

    /// <param name="retryUnreachable">false for a caller that polls a starting daemon itself and times each attempt.</param>
    public CriConnection(string socketPath, bool retryUnreachable = true)
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
        };
        // One HTTP/2 connection, as kubelet has. A call that cannot even reach the socket (a momentary accept
        // failure) is retried; a call the runtime answered with an error never is.
        var retry = new Grpc.Net.Client.Configuration.MethodConfig
        {
            Names = { Grpc.Net.Client.Configuration.MethodName.Default },
            RetryPolicy = new Grpc.Net.Client.Configuration.RetryPolicy
            {
                MaxAttempts = 4,
                InitialBackoff = TimeSpan.FromMilliseconds(50),
                MaxBackoff = TimeSpan.FromMilliseconds(500),
                BackoffMultiplier = 2,
                RetryableStatusCodes = { Grpc.Core.StatusCode.Unavailable },
            },
        };
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 64 * 1024 * 1024,
            ServiceConfig = retryUnreachable ? new Grpc.Net.Client.Configuration.ServiceConfig { MethodConfigs = { retry } } : null,
        });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
        Images = new ImageService.ImageServiceClient(_channel);
    }

    public RuntimeService.RuntimeServiceClient Runtime { get; }
    public ImageService.ImageServiceClient Images { get; }

    public void Dispose() => _channel.Dispose();
}
