using System.Text.Json;
using System.Text.Json.Serialization;
using CriShim.Oci.Exec;

namespace CriShim.Streaming.RemoteCommand;

/// <summary>
/// Splits a resize stream into its JSON values ({"Width":W,"Height":H}, one after another) without ever holding
/// more than one value of at most maxMessage bytes: a client cannot make us buffer an endless "value".
/// </summary>
public sealed class ResizeMessageReader(Stream source, int maxMessage)
{
    readonly byte[] _buffer = new byte[maxMessage];
    int _filled;

    /// <summary>
    /// The next terminal size; null at the end of the stream. Throws <see cref="ResizeMessageTooLargeException"/>
    /// for a value over the limit and <see cref="JsonException"/> for one that is not a size.
    /// </summary>
    public async ValueTask<TerminalSize?> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            if (TryTakeValue() is { } size) return new TerminalSize(size.Width, size.Height);
            if (_filled == _buffer.Length)
                throw new ResizeMessageTooLargeException($"a terminal resize message over streaming.maxResizeMessageSize ({maxMessage} bytes)");
            var read = await source.ReadAsync(_buffer.AsMemory(_filled), ct);
            if (read == 0) return null;
            _filled += read;
        }
    }

    WireSize? TryTakeValue()
    {
        var reader = new Utf8JsonReader(_buffer.AsSpan(0, _filled), isFinalBlock: false, default);
        if (!reader.Read() || !reader.TrySkip()) return null;
        var length = (int)reader.BytesConsumed;
        var value = JsonSerializer.Deserialize(_buffer.AsSpan(0, length), WireSize.Options.Info<WireSize>())
                    ?? throw new JsonException("a terminal resize message is null");
        _buffer.AsSpan(length, _filled - length).CopyTo(_buffer);
        _filled -= length;
        return value;
    }

    internal sealed record WireSize([property: JsonPropertyName("Width")] ushort Width, [property: JsonPropertyName("Height")] ushort Height)
    {
        public static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true, TypeInfoResolver = CriShimJsonContext.Default };
    }
}

public sealed class ResizeMessageTooLargeException(string message) : Exception(message);
