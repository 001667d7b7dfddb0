namespace CriShim.Oci.Monitor;

/// <summary>
/// Decodes the CRI log stream conmon writes, chunk by chunk as it arrives, back into stdout and stderr, keeping at
/// most <c>budget</c> content bytes of the two together (first come, first kept) and dropping the rest. Memory stays
/// bounded by the budget plus one log line, however much the process prints.
/// </summary>
public sealed class CriLogDecoder(int budget)
{
    /// <summary>conmon writes at most one read buffer (8 KiB) per line plus the timestamp; anything longer is not its.</summary>
    public const int MaxLineBytes = 64 * 1024;

    readonly MemoryStream _stdout = new(), _stderr = new();
    readonly byte[] _line = new byte[MaxLineBytes];
    int _lineLength;
    bool _lineTooLong;
    int _remaining = budget;

    /// <summary>Content was dropped because the budget was spent.</summary>
    public bool Truncated { get; private set; }

    public void Write(ReadOnlySpan<byte> chunk)
    {
        while (!chunk.IsEmpty)
        {
            // Once the budget is spent and the drop is recorded there is nothing left to learn from the stream.
            if (Truncated && _remaining == 0) return;
            var nl = chunk.IndexOf((byte)'\n');
            var piece = nl < 0 ? chunk : chunk[..nl];
            if (!_lineTooLong && _lineLength + piece.Length <= MaxLineBytes)
            {
                piece.CopyTo(_line.AsSpan(_lineLength));
                _lineLength += piece.Length;
            }
            else _lineTooLong = true;
            if (nl < 0) return;
            EndLine();
            chunk = chunk[(nl + 1)..];
        }
    }

    /// <summary>The stream ended: a last line without its newline still counts.</summary>
    public void Complete()
    {
        if (_lineLength > 0) EndLine();
    }

    public byte[] Stdout => _stdout.ToArray();
    public byte[] Stderr => _stderr.ToArray();

    void EndLine()
    {
        if (!_lineTooLong && CriLog.TryParse(_line.AsSpan(0, _lineLength), out var stream, out var full, out var content))
        {
            var sink = stream == "stderr" ? _stderr : _stdout;
            Append(sink, content);
            if (full) Append(sink, "\n"u8);
        }
        _lineLength = 0;
        _lineTooLong = false;
    }

    void Append(MemoryStream sink, ReadOnlySpan<byte> data)
    {
        if (data.Length > _remaining)
        {
            Truncated = true;
            data = data[.._remaining];
        }
        sink.Write(data);
        _remaining -= data.Length;
    }
}
