using System.Net;
using System.Net.Sockets;
using CriShim.Oci.Native;

namespace CriShim.Oci.Exec;

/// <summary>
/// Connects to a TCP port inside a pod's network namespace. A socket belongs to the namespace it was created
/// in, so a dedicated thread enters the pod's netns (setns), creates and connects the socket, and goes back to
/// the original namespace before ending; the socket is then used from anywhere. The thread is never pooled,
/// so a failed return to the host namespace cannot leak into other work.
/// </summary>
public static class NetNsDialer
{
    public static Task<Socket> ConnectAsync(string netNsPath, int port, TimeSpan timeout, CancellationToken ct)
    {
        var result = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { result.TrySetResult(ConnectInNamespace(netNsPath, port, timeout, ct)); }
            catch (Exception e) { result.TrySetException(e); }
        })
        { IsBackground = true, Name = "netns-dial" };
        thread.Start();
        return result.Task;
    }

    /// <summary>Runs <paramref name="create"/> with the calling thread inside the namespace (tests build listeners with it).</summary>
    public static T InNamespace<T>(string netNsPath, Func<T> create)
    {
        var original = LibC.open("/proc/thread-self/ns/net", LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (original < 0) throw LibC.Error("open /proc/thread-self/ns/net");
        var target = LibC.open(netNsPath, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (target < 0)
        {
            LibC.close(original);
            throw LibC.Error($"open network namespace {netNsPath}");
        }
        try
        {
            if (LibC.setns(target, LibC.CLONE_NEWNET) != 0) throw LibC.Error($"setns into {netNsPath}");
            try { return create(); }
            finally
            {
                if (LibC.setns(original, LibC.CLONE_NEWNET) != 0)
                    Environment.FailFast("could not return to the host network namespace after a pod dial");
            }
        }
        finally
        {
            LibC.close(target);
            LibC.close(original);
        }
    }

    static Socket ConnectInNamespace(string netNsPath, int port, TimeSpan timeout, CancellationToken ct)
    {
        Exception? last = null;
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            ct.ThrowIfCancellationRequested();
            Socket? socket = null;
            try
            {
                socket = InNamespace(netNsPath, () =>
                {
                    var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        // Connect while inside: the socket's namespace is fixed at creation, routing follows it.
                        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        deadline.CancelAfter(timeout);
                        s.ConnectAsync(new IPEndPoint(address, port), deadline.Token).AsTask().GetAwaiter().GetResult();
                        return s;
                    }
                    catch { s.Dispose(); throw; }
                });
                return socket;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                last = e;
            }
        }
        throw new IOException($"connect to localhost:{port} in {netNsPath}: {last?.Message}", last);
    }
}
