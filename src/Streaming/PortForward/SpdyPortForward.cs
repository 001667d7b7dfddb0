using System.Collections.Concurrent;
using System.Text;
using CriShim.Streaming.Spdy;
using Microsoft.Extensions.Logging;

namespace CriShim.Streaming.PortForward;

/// <summary>
/// Port forwarding over SPDY (portforward.k8s.io): for every forwarded connection the client opens a pair of
/// streams — streamType error and data — carrying the same requestID and port headers. When both are there we
/// dial the port inside the pod and pump; failures are reported as text on the error stream. Any number of
/// pairs may run at once on one connection. A half-created pair expires after the stream creation timeout.
/// </summary>
public sealed class SpdyPortForward(SpdyConnection connection, PortForwardStreamRequest request, IPodDialer dialer, TimeSpan creationTimeout, ILogger log)
{
    sealed class Pair
    {
        public SpdyStream? Data, Error;
        public readonly CancellationTokenSource Expiry = new();
    }

    readonly ConcurrentDictionary<string, Pair> _pairs = new();
    readonly ConcurrentBag<Task> _running = [];

    public async Task RunAsync()
    {
        try
        {
            await foreach (var stream in connection.AcceptedStreams.ReadAllAsync(connection.Closed))
                await OnStreamAsync(stream);
        }
        catch (OperationCanceledException) { }
        await Task.WhenAll(_running.ToArray());
    }

    async Task OnStreamAsync(SpdyStream stream)
    {
        var type = stream.Headers.Get("streamtype");
        var requestId = stream.Headers.Get("requestid");
        // Clients from before requestID pair an error stream N with the data stream N+2.
        if (string.IsNullOrEmpty(requestId))
            requestId = type == "data" ? (stream.Id - 2).ToString() : stream.Id.ToString();
        if (type is not ("data" or "error"))
        {
            log.LogDebug("port-forward: refusing stream of type {Type}", type);
            await stream.ResetAsync();
            return;
        }

        var pair = _pairs.GetOrAdd(requestId, _ => NewPair(requestId));
        lock (pair)
        {
            if (type == "data" && pair.Data is null) pair.Data = stream;
            else if (type == "error" && pair.Error is null) pair.Error = stream;
            else stream = null!;
            if (pair.Data is null || pair.Error is null) return;
        }
        if (stream is null) return;
        _pairs.TryRemove(requestId, out _);
        await pair.Expiry.CancelAsync();
        _running.Add(Task.Run(() => ForwardAsync(pair.Data!, pair.Error!)));
    }

    Pair NewPair(string requestId)
    {
        var pair = new Pair();
        _ = Task.Delay(creationTimeout, pair.Expiry.Token).ContinueWith(async t =>
        {
            if (t.IsCanceled || !_pairs.TryRemove(requestId, out var stale)) return;
            log.LogInformation("port-forward: request {RequestId} did not get both streams in time", requestId);
            if (stale.Data is not null) await stale.Data.ResetAsync();
            if (stale.Error is not null) await stale.Error.ResetAsync();
        }, TaskScheduler.Default);
        return pair;
    }

    async Task ForwardAsync(SpdyStream data, SpdyStream error)
    {
        var portHeader = data.Headers.Get("port");
        try
        {
            if (!int.TryParse(portHeader, out var port) || port is < 1 or > 65535)
                throw new InvalidDataException($"invalid port header {portHeader}");
            using var socket = await dialer.ConnectAsync(request.Pod, port, connection.Closed);
            await PortForwarding.PumpAsync(data, data.CloseWriteAsync, socket, connection.Closed);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var message = $"error forwarding port {portHeader} to pod {request.Pod.Id}: {e.Message}";
            log.LogInformation("port-forward: {Error}", message);
            try { await error.WriteAsync(Encoding.UTF8.GetBytes(message)); } catch (IOException) { }
        }
        catch (OperationCanceledException) { }
        finally
        {
            await error.CloseWriteAsync();
            await data.CloseWriteAsync();
        }
    }
}
