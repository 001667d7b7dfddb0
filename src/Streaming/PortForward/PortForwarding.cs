using System.Net.Sockets;

namespace CriShim.Streaming.PortForward;

/// <summary>Copies bytes both ways between a client stream and a pod socket, with half-close in each direction.</summary>
static class PortForwarding
{
    /// <summary>
    /// Client data goes to the pod until the client ends its side (then the socket's write side is shut down);
    /// pod data goes to the client until the pod ends its side. Returns when the pod side is done or either side fails.
    /// </summary>
    public static async Task PumpAsync(Stream client, Func<Task> closeClientWrite, Socket pod, CancellationToken ct)
    {
        await using var podStream = new NetworkStream(pod, ownsSocket: false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var toPod = Task.Run(async () =>
        {
            await client.CopyToAsync(podStream, 32 * 1024, stop.Token);
            pod.Shutdown(SocketShutdown.Send);
        }, CancellationToken.None);
        var toClient = Task.Run(async () =>
        {
            await podStream.CopyToAsync(client, 32 * 1024, stop.Token);
            await closeClientWrite();
        }, CancellationToken.None);
        try
        {
            // Pod side finished, or the client side failed (reset, connection gone): either ends the pair.
            var first = await Task.WhenAny(toClient, toPod);
            if (first == toPod && toPod.IsCompletedSuccessfully) await toClient;
            else await first;
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var t in new[] { toPod, toClient })
                try { await t; } catch (Exception) { }
        }
    }
}
