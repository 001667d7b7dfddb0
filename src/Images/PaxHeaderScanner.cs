using System.Text;

namespace CriShim.Images;

/// <summary>
/// Reads tar header blocks as raw bytes: the records of an entry's PAX extended header from the tar bytes read while
/// the entry was parsed (System.Formats.Tar decodes every value as UTF-8, which loses binary xattrs such as
/// security.capability), and the declared size of metadata entries before the reader allocates it.
/// </summary>
static class PaxHeaderScanner
{
    const int Block = 512;

    /// <summary>The records of the PAX header that directly precedes the header block ending <paramref name="captured"/>
    /// (headers are 512-aligned from there); null when there is none or it does not parse.</summary>
    public static Dictionary<string, byte[]>? RecordsBeforeEntryHeader(ReadOnlySpan<byte> captured)
    {
        var entryHeader = captured.Length - Block;
        for (var pos = entryHeader - 2 * Block; pos >= 0; pos -= Block)
        {
            if (!TryReadHeader(captured.Slice(pos, Block), out var type, out var size) || type != (byte)'x') continue;
            // only the extended header whose padded data ends exactly where the entry's header begins is the entry's
            if (size > int.MaxValue || pos + Block + RoundUp(size) != entryHeader) continue;
            return Parse(captured.Slice(pos + Block, (int)size));
        }
        return null;
    }

    /// <summary>Whether the block is a valid header of a PAX (x, g) or GNU long name/link (L, K) entry, whose data the
    /// reader holds in memory whole; <paramref name="size"/> is that data's length.</summary>
    public static bool IsMetadataHeader(ReadOnlySpan<byte> block, out long size) =>
        TryReadHeader(block, out var type, out size) && type is (byte)'x' or (byte)'g' or (byte)'L' or (byte)'K';

    static long RoundUp(long size) => (size + Block - 1) / Block * Block;

    static bool TryReadHeader(ReadOnlySpan<byte> header, out byte type, out long size)
    {
        type = header[156];
        size = 0;
        if (!TryOctal(header.Slice(148, 8), out var checksum)) return false;
        long sum = 0;
        for (var i = 0; i < Block; i++) sum += i is >= 148 and < 156 ? (byte)' ' : header[i];
        if (sum != checksum) return false;
        return TryOctal(header.Slice(124, 12), out size);
    }

    static bool TryOctal(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        var digits = 0;
        foreach (var b in field)
        {
            if (b is (byte)' ' or 0) { if (digits > 0) break; continue; }
            if (b is < (byte)'0' or > (byte)'7') return false;
            value = value * 8 + (b - '0');
            digits++;
        }
        return digits > 0;
    }

    /// <summary>PAX records: "LENGTH key=value\n", LENGTH counting the whole record.</summary>
    static Dictionary<string, byte[]>? Parse(ReadOnlySpan<byte> data)
    {
        var records = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (data.Length > 0 && data[0] != 0)
        {
            var space = data.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(Encoding.ASCII.GetString(data[..space]), out var length) || length <= space + 1 || length > data.Length)
                return null;
            var record = data[(space + 1)..length];
            var equals = record.IndexOf((byte)'=');
            if (equals <= 0 || record[^1] != (byte)'\n') return null;
            records[Encoding.UTF8.GetString(record[..equals])] = record[(equals + 1)..^1].ToArray();
            data = data[length..];
        }
        return records;
    }
}
