using System.Net.Sockets;
using CriShim.Oci.Exec;

namespace CriShim.Streaming.PortForward;

/// <summary>Opens TCP connections to ports inside a pod's network namespace; a seam so tests can point elsewhere.</summary>
public interface IPodDialer
{
    Task<Socket> ConnectAsync(PodTarget pod, int port, CancellationToken ct);
}

public sealed class NetNsPodDialer : IPodDialer
{
    public async Task<Socket> ConnectAsync(PodTarget pod, int port, CancellationToken ct)
    {
        if (pod.Address is not { } address) return await NetNsDialer.ConnectAsync(pod.NetNsPath, port, TimeSpan.FromSeconds(10), ct);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(new System.Net.IPEndPoint(address, port), deadline.Token);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new IOException($"connect to {address}:{port} of pod {pod.Id}: {e.Message}", e);
        }
        catch { socket.Dispose(); throw; }
    }
}
