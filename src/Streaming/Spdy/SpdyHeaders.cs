using System.Buffers.Binary;
using System.Text;

namespace CriShim.Streaming.Spdy;

/// <summary>
/// A SPDY/3 name/value header block: names are lowercase (Go's framer rejects others), several values of one
/// name travel NUL-separated in one entry. Encoded as: count, then (length, name, length, value) pairs, all
/// lengths 32-bit big-endian.
/// </summary>
public sealed class SpdyHeaders
{
    public static readonly SpdyHeaders Empty = new(Array.Empty<KeyValuePair<string, string>>());

    readonly List<KeyValuePair<string, string>> _entries;

    public SpdyHeaders(IEnumerable<KeyValuePair<string, string>> entries) =>
        _entries = entries.Select(e => new KeyValuePair<string, string>(e.Key.ToLowerInvariant(), e.Value)).ToList();

    public SpdyHeaders(params (string Name, string Value)[] entries)
        : this(entries.Select(e => new KeyValuePair<string, string>(e.Name, e.Value))) { }

    public IReadOnlyList<KeyValuePair<string, string>> Entries => _entries;

    /// <summary>The first value of a header, matched case-insensitively as Go's http.Header.Get does.</summary>
    public string? Get(string name)
    {
        foreach (var (key, value) in _entries)
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }

    public byte[] Encode()
    {
        var grouped = _entries.GroupBy(e => e.Key, StringComparer.Ordinal).ToList();
        var buffer = new MemoryStream();
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, grouped.Count);
        buffer.Write(number);
        foreach (var group in grouped)
        {
            var name = Encoding.UTF8.GetBytes(group.Key);
            var value = Encoding.UTF8.GetBytes(string.Join('\0', group.Select(g => g.Value)));
            BinaryPrimitives.WriteInt32BigEndian(number, name.Length);
            buffer.Write(number);
            buffer.Write(name);
            BinaryPrimitives.WriteInt32BigEndian(number, value.Length);
            buffer.Write(number);
            buffer.Write(value);
        }
        return buffer.ToArray();
    }

    public static SpdyHeaders Decode(ReadOnlySpan<byte> block)
    {
        var count = ReadLength(ref block);
        var entries = new List<KeyValuePair<string, string>>(Math.Min(count, 64));
        for (var i = 0; i < count; i++)
        {
            var name = Encoding.UTF8.GetString(Take(ref block, ReadLength(ref block)));
            var value = Encoding.UTF8.GetString(Take(ref block, ReadLength(ref block)));
            if (name.Length == 0) throw new InvalidDataException("SPDY header with an empty name");
            foreach (var part in value.Split('\0'))
                entries.Add(new(name, part));
        }
        return new SpdyHeaders(entries);
    }

    static int ReadLength(ref ReadOnlySpan<byte> block)
    {
        var length = BinaryPrimitives.ReadInt32BigEndian(Take(ref block, 4));
        if (length < 0 || length > block.Length) throw new InvalidDataException("SPDY header block is truncated");
        return length;
    }

    static ReadOnlySpan<byte> Take(ref ReadOnlySpan<byte> block, int length)
    {
        if (block.Length < length) throw new InvalidDataException("SPDY header block is truncated");
        var taken = block[..length];
        block = block[length..];
        return taken;
    }

    public override string ToString() => string.Join(", ", _entries.Select(e => $"{e.Key}={e.Value}"));
}
