using System.Buffers.Binary;
using System.Text;
using CriShim.Oci.IO;
using CriShim.Streaming.WebSockets;
using Microsoft.Extensions.Logging;

namespace CriShim.Streaming.PortForward;

/// <summary>
/// Port forwarding over WebSocket channels (the ports query parameter, protocols v4.channel.k8s.io and
/// friends): port i gets data channel 2i and error channel 2i+1, both opened by a message carrying the port as
/// a little-endian uint16; one connection per port; the socket closes when every port is done.
/// </summary>
public sealed class WebSocketPortForward(ChannelWebSocket socket, PortForwardStreamRequest request, IReadOnlyList<int> ports, IPodDialer dialer, ILogger log)
{
    public static readonly string[] Protocols = ["v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io", "portforward.k8s.io"];

    public async Task RunAsync()
    {
        var inputs = ports.Select((_, i) => socket.Input((byte)(2 * i))).ToList();
        var receive = socket.RunAsync();
        var forwards = new List<Task>();
        for (var i = 0; i < ports.Count; i++)
        {
            var portBytes = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(portBytes, (ushort)ports[i]);
            await socket.SendAsync((byte)(2 * i), portBytes, socket.Gone);
            await socket.SendAsync((byte)(2 * i + 1), portBytes, socket.Gone);
            forwards.Add(ForwardAsync(ports[i], inputs[i], socket.Output((byte)(2 * i)), (byte)(2 * i + 1)));
        }
        await Task.WhenAll(forwards);
        await socket.CloseAsync();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await receive.WaitAsync(grace.Token); } catch (OperationCanceledException) { }
    }

    async Task ForwardAsync(int port, Stream fromClient, Stream toClient, byte errorChannel)
    {
        try
        {
            using var pod = await dialer.ConnectAsync(request.Pod, port, socket.Gone);
            await PortForwarding.PumpAsync(new DuplexStream(fromClient, toClient), () => Task.CompletedTask, pod, socket.Gone);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var message = $"error forwarding port {port} to pod {request.Pod.Id}: {e.Message}";
            log.LogInformation("port-forward: {Error}", message);
            try { await socket.SendAsync(errorChannel, Encoding.UTF8.GetBytes(message), CancellationToken.None); } catch (IOException) { }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Reads from one stream, writes to another.</summary>
    sealed class DuplexStream(Stream reader, Stream writer) : ForwardOnlyStream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => reader.ReadAsync(buffer, ct);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => writer.WriteAsync(buffer, ct);
        public override int Read(Span<byte> buffer) => reader.Read(buffer);
        public override void Write(ReadOnlySpan<byte> buffer) => writer.Write(buffer);
    }
}
