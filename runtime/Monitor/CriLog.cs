namespace CriShim.Oci.Monitor;

/// <summary>Reads the CRI log format conmon writes: `RFC3339NANO STREAM TAG CONTENT\n` where TAG is F (full line,
/// a newline was removed) or P (partial line, no newline).</summary>
public static class CriLog
{
    /// <summary>Rebuilds the stdout and stderr byte streams, keeping at most <paramref name="max"/> bytes of the two together.</summary>
    public static (byte[] Stdout, byte[] Stderr, bool Truncated) Split(ReadOnlySpan<byte> log, int max = int.MaxValue)
    {
        var decoder = new CriLogDecoder(max);
        decoder.Write(log);
        decoder.Complete();
        return (decoder.Stdout, decoder.Stderr, decoder.Truncated);
    }

    /// <summary>Splits one log line; false when it is not in CRI format.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out string stream, out bool full, out ReadOnlySpan<byte> content)
    {
        stream = "";
        full = false;
        content = default;
        var s1 = line.IndexOf((byte)' ');
        if (s1 <= 0) return false;
        var rest = line[(s1 + 1)..];
        var s2 = rest.IndexOf((byte)' ');
        if (s2 <= 0) return false;
        var streamBytes = rest[..s2];
        if (streamBytes.SequenceEqual("stdout"u8)) stream = "stdout";
        else if (streamBytes.SequenceEqual("stderr"u8)) stream = "stderr";
        else return false;
        rest = rest[(s2 + 1)..];
        var s3 = rest.IndexOf((byte)' ');
        var tag = s3 < 0 ? rest : rest[..s3];
        if (tag.IsEmpty) return false;
        full = tag[0] == (byte)'F';
        content = s3 < 0 ? [] : rest[(s3 + 1)..];
        return true;
    }
}
