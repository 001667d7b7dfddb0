using System.Text.Json;
using Microsoft.Extensions.Logging;
using CriShim.Oci.Exec;

namespace CriShim.Streaming.RemoteCommand;

/// <summary>
/// The client side of an exec or attach session, whatever carries it (SPDY streams or WebSocket channels):
/// stdin to read, stdout/stderr to write, terminal sizes, and the final status.
/// </summary>
public abstract class RemoteCommandStreams : IAsyncDisposable
{
    public Stream? Stdin { get; protected init; }
    public Stream? Stdout { get; protected init; }
    public Stream? Stderr { get; protected init; }
    /// <summary>JSON {"Width":W,"Height":H} values, one after another.</summary>
    protected Stream? ResizeSource { get; init; }
    /// <summary>Cancelled when the client goes away.</summary>
    public abstract CancellationToken ClientGone { get; }

    /// <summary>Ends one output stream (the client sees end of data on it).</summary>
    public abstract Task CloseOutputAsync(Stream output);
    public abstract Task WriteStatusAsync(CommandStatus status);
    public abstract ValueTask DisposeAsync();

    /// <summary>Largest resize message accepted (streaming.maxResizeMessageSize).</summary>
    protected int MaxResizeMessageSize { get; init; } = 4 * 1024;

    /// <summary>Ends the client's resize stream (or its session) because it sent a resize message over the limit.</summary>
    protected abstract Task RefuseResizesAsync(string reason);

    /// <summary>Terminal sizes the client sends, until the resize stream ends (or breaks the size limit: then it is refused).</summary>
    public async IAsyncEnumerable<TerminalSize> ResizesAsync(ILogger log, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (ResizeSource is null) yield break;
        var reader = new ResizeMessageReader(ResizeSource, MaxResizeMessageSize);
        while (true)
        {
            TerminalSize? size = null;
            string? refusal = null;
            try { size = await reader.ReadAsync(ct); }
            catch (ResizeMessageTooLargeException e) { refusal = e.Message; }
            catch (Exception e) when (e is JsonException or IOException) { log.LogDebug("resize stream ended: {Error}", e.Message); }
            if (refusal is not null)
            {
                log.LogWarning("refusing the client's resize stream: {Reason}", refusal);
                await RefuseResizesAsync(refusal);
            }
            if (size is null) yield break;
            yield return size;
        }
    }
}
