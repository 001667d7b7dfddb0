namespace CriShim.Runtime.Monitor;

/// <summary>Reads the CRI log format conmon writes: `RFC3339NANO STREAM TAG CONTENT\n` where TAG is F (full line,
/// a newline was removed) or P (partial line, no newline).</summary>
public static class CriLog
{
    /// <summary>Rebuilds the stdout and stderr byte streams, keeping at most <paramref name="max"/> bytes of each.</summary>
    public static (byte[] Stdout, byte[] Stderr, bool Truncated) Split(ReadOnlySpan<byte> log, int max = int.MaxValue)
    {
        var stdout = new CappedSink(max);
        var stderr = new CappedSink(max);
        while (!log.IsEmpty)
        {
            var nl = log.IndexOf((byte)'\n');
            var line = nl < 0 ? log : log[..nl];
            log = nl < 0 ? [] : log[(nl + 1)..];
            if (!TryParse(line, out var stream, out var full, out var content)) continue;
            var sink = stream == "stderr" ? stderr : stdout;
            sink.Write(content);
            if (full) sink.Write("\n"u8);
        }
        return (stdout.ToArray(), stderr.ToArray(), stdout.Truncated || stderr.Truncated);
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

    private sealed class CappedSink(int max)
    {
        private readonly MemoryStream _ms = new();
        public bool Truncated { get; private set; }

        public void Write(ReadOnlySpan<byte> data)
        {
            var room = max - (int)_ms.Length;
            if (data.Length > room) { Truncated = true; data = data[..Math.Max(0, room)]; }
            _ms.Write(data);
        }

        public byte[] ToArray() => _ms.ToArray();
    }
}
