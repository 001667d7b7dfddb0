namespace CriShim.Images;

/// <summary>Byte counts as limits are written in messages: "8 MiB (8388608 bytes)".</summary>
public static class ByteSize
{
    public static string Format(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        for (var i = units.Length; i >= 1; i--)
        {
            var unit = 1L << (10 * i);
            if (bytes >= unit && bytes % unit == 0) return $"{bytes / unit} {units[i - 1]} ({bytes} bytes)";
        }
        return $"{bytes} bytes";
    }
}
