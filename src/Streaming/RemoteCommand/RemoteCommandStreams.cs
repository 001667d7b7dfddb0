using System.Text.Json;
using System.Text.Json.Serialization;
using CriShim.Runtime.Exec;

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

    /// <summary>Terminal sizes the client sends, until the resize stream ends.</summary>
    public async IAsyncEnumerable<TerminalSize> ResizesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (ResizeSource is null) yield break;
        var sizes = JsonSerializer.DeserializeAsyncEnumerable<WireSize>(ResizeSource, topLevelValues: true, WireSize.Options, ct);
        await using var e = sizes.GetAsyncEnumerator(ct);
        while (true)
        {
            try { if (!await e.MoveNextAsync()) yield break; }
            catch (Exception ex) when (ex is JsonException or IOException) { yield break; }
            if (e.Current is { } size) yield return new TerminalSize(size.Width, size.Height);
        }
    }

    sealed record WireSize([property: JsonPropertyName("Width")] ushort Width, [property: JsonPropertyName("Height")] ushort Height)
    {
        public static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };
    }
}
