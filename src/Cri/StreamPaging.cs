using Grpc.Core;

namespace CriShim.Cri;

/// <summary>The Stream* list RPCs: the same items as their List twins, sent in pages.</summary>
public sealed partial class RuntimeServiceHandler
{
    internal const int StreamPageSize = 500;

    internal static async Task StreamPages<TItem, TResponse>(IEnumerable<TItem> items, Func<IEnumerable<TItem>, TResponse> page,
        IServerStreamWriter<TResponse> stream, CancellationToken ct)
    {
        foreach (var chunk in items.Chunk(StreamPageSize))
            await stream.WriteAsync(page(chunk), ct);
    }
}
