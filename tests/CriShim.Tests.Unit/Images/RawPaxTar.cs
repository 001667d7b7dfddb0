using System.Text;

namespace CriShim.Tests.Unit.Images;

/// <summary>
/// Writes a tar of regular files whose PAX records hold raw bytes (as Go's archive/tar and GNU tar write binary xattrs
/// such as security.capability); System.Formats.Tar's writer only takes strings.
/// </summary>
static class RawPaxTar
{
    public static byte[] Of(params (string Name, string Content, IReadOnlyDictionary<string, byte[]> Records)[] files)
    {
        using var tar = new MemoryStream();
        foreach (var (name, content, records) in files)
        {
            using var pax = new MemoryStream();
            foreach (var (key, value) in records)
            {
                var body = Encoding.UTF8.GetBytes($" {key}=").Concat(value).Append((byte)'\n').ToArray();
                var length = body.Length + 1;
                while (length.ToString().Length + body.Length != length) length++;
                pax.Write(Encoding.ASCII.GetBytes(length.ToString()));
                pax.Write(body);
            }
            WriteEntry(tar, "PaxHeaders/" + name, (byte)'x', pax.ToArray());
            WriteEntry(tar, name, (byte)'0', Encoding.UTF8.GetBytes(content));
        }
        tar.Write(new byte[1024]);
        return tar.ToArray();
    }

    static void WriteEntry(Stream tar, string name, byte type, byte[] data)
    {
        var header = new byte[512];
        void Put(int offset, string text) => Encoding.ASCII.GetBytes(text).CopyTo(header, offset);
        Put(0, name);
        Put(100, "0000644\0");
        Put(108, "0000000\0");
        Put(116, "0000000\0");
        Put(124, Convert.ToString(data.Length, 8).PadLeft(11, '0') + "\0");
        Put(136, Convert.ToString(1_700_000_000L, 8).PadLeft(11, '0') + "\0");
        header[156] = type;
        Put(257, "ustar\0");
        Put(263, "00");
        Put(148, "        ");
        var sum = header.Sum(b => (int)b);
        Put(148, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        tar.Write(header);
        tar.Write(data);
        tar.Write(new byte[(512 - data.Length % 512) % 512]);
    }
}
