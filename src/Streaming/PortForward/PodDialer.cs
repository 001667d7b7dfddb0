using System.Net.Sockets;
using CriShim.Runtime.Exec;

namespace CriShim.Streaming.PortForward;

/// <summary>Opens TCP connections to ports inside a pod's network namespace; a seam so tests can point elsewhere.</summary>
public interface IPodDialer
{
    Task<Socket> ConnectAsync(PodTarget pod, int port, CancellationToken ct);
}

public sealed class NetNsPodDialer : IPodDialer
{
    public Task<Socket> ConnectAsync(PodTarget pod, int port, CancellationToken ct) =>
        NetNsDialer.ConnectAsync(pod.NetNsPath, port, TimeSpan.FromSeconds(10), ct);
}
