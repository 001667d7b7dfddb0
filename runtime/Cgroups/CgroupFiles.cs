using System.Buffers;
using System.Globalization;
using System.Text;

namespace CriShim.Oci.Cgroups;

/// <summary>Reads and writes cgroup control files; a missing file or a cgroup removed mid-read reads as null.</summary>
internal static class CgroupFiles
{
    // v1 reports "no limit" as PAGE_COUNTER_MAX * page size (e.g. 9223372036854771712); anything this large is unlimited.
    private const ulong V1UnlimitedThreshold = 1UL << 62;

    public static string? ReadText(string? directory, string file)
    {
        if (directory is null)
            return null;
        try
        {
            return ReadSmallFile(Path.Combine(directory, file));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            // ENODEV/ENOENT when the cgroup disappears between the directory lookup and the read.
            return null;
        }
    }

    /// <summary>
    /// One open and a few read(2) calls into a pooled buffer. Control files are small, and stats of hundreds of
    /// containers per ListContainerStats read a dozen each: File.ReadAllText's stream, reader and decoder cost more
    /// than the kernel's read.
    /// </summary>
    static string ReadSmallFile(string path)
    {
        using var handle = File.OpenHandle(path);
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = RandomAccess.Read(handle, buffer.AsSpan(length), length);
                if (read == 0) return Encoding.UTF8.GetString(buffer, 0, length);
                length += read;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    public static ulong? ReadUInt64(string? directory, string file)
    {
        var text = ReadText(directory, file)?.Trim();
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    /// <summary>A limit file: "max" (v2) or a v1 near-2^63 value means unlimited and reads as null.</summary>
    public static ulong? ReadLimit(string? directory, string file)
    {
        var value = ReadUInt64(directory, file);
        return value is >= V1UnlimitedThreshold ? null : value;
    }

    public static IReadOnlyDictionary<string, ulong>? ReadFlatKeyed(string? directory, string file)
    {
        var text = ReadText(directory, file);
        return text is null ? null : FlatKeyedParser.Parse(text);
    }

    public static bool Exists(string? directory, string file) =>
        directory is not null && File.Exists(Path.Combine(directory, file));

    /// <summary>Writes a value the way `echo value > file` does; errors carry the file and value.</summary>
    public static void Write(string directory, string file, string value)
    {
        var path = Path.Combine(directory, file);
        try
        {
            // One write() of the whole value with O_TRUNC, as runc and `echo value > file` do.
            using var stream = new FileStream(path, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            var bytes = System.Text.Encoding.ASCII.GetBytes(value);
            stream.Write(bytes, 0, bytes.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CgroupException($"cannot write \"{value}\" to {path}: {e.Message}", e);
        }
    }
}
