using Grpc.Core;

namespace CriShim.Cri;

/// <summary>The Stream* list RPCs: the same items as their List twins, sent in pages.</summary>
internal static class StreamPaging
{
    internal const int PageSize = 500;

    internal static async Task StreamPages<TItem, TResponse>(IEnumerable<TItem> items, Func<IEnumerable<TItem>, TResponse> page,
        IServerStreamWriter<TResponse> stream, CancellationToken ct)
    {
        foreach (var chunk in items.Chunk(PageSize))
            await stream.WriteAsync(page(chunk), ct);
    }
}
