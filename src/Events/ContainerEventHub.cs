using System.Collections.Concurrent;
using System.Threading.Channels;
using Runtime.V1;

namespace CriShim.Events;

/// <summary>
/// Fans container lifecycle events out to GetContainerEvents subscribers. Each subscriber has a bounded
/// queue; when it is full the oldest event is dropped, so a slow subscriber never blocks the runtime.
/// </summary>
public sealed class ContainerEventHub
{
    const int QueueLength = 1024;
    readonly ConcurrentDictionary<Guid, Channel<ContainerEventResponse>> _subscribers = new();

    public int SubscriberCount => _subscribers.Count;

    public void Publish(ContainerEventResponse e)
    {
        foreach (var channel in _subscribers.Values) channel.Writer.TryWrite(e);
    }

    public async IAsyncEnumerable<ContainerEventResponse> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var id = Guid.NewGuid();
        var channel = Channel.CreateBounded<ContainerEventResponse>(new BoundedChannelOptions(QueueLength)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true,
        });
        _subscribers[id] = channel;
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(ct)) yield return e;
        }
        finally { _subscribers.TryRemove(id, out _); }
    }
}
