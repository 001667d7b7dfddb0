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
    readonly ConcurrentDictionary<long, Task> _running = new();
    long _nextForward;

    public async Task RunAsync()
    {
        try
        {
            await foreach (var stream in connection.AcceptedStreams.ReadAllAsync(connection.Closed))
                await OnStreamAsync(stream);
        }
        catch (OperationCanceledException) { }
        await Task.WhenAll(_running.Values.ToArray());
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
        bool duplicate, complete;
        lock (pair)
        {
            duplicate = type == "data" ? pair.Data is not null : pair.Error is not null;
            if (!duplicate)
            {
                if (type == "data") pair.Data = stream;
                else pair.Error = stream;
            }
            complete = pair.Data is not null && pair.Error is not null;
        }
        if (duplicate)
        {
            log.LogDebug("port-forward: a second {Type} stream for request {RequestId}", type, requestId);
            await stream.ResetAsync();
            return;
        }
        if (!complete || !_pairs.TryRemove(requestId, out _)) return;
        await pair.Expiry.CancelAsync();
        pair.Expiry.Dispose();
        // Finished forwards leave the table, so a long session with many connections does not accumulate them.
        var key = Interlocked.Increment(ref _nextForward);
        _running[key] = Task.Run(async () =>
        {
            try { await ForwardAsync(pair.Data!, pair.Error!); }
            finally { _running.TryRemove(key, out _); }
        });
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
