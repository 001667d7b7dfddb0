namespace CriShim.Tests.Integration.Support;

public static class DiskUsage
{
    /// <summary>Bytes of the regular files under a directory (0 when it is missing), not following symlinks.</summary>
    public static long FileBytesUnder(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        long total = 0;
        foreach (var file in new DirectoryInfo(dir).EnumerateFiles("*", options))
        {
            try { total += file.Length; } catch (IOException) { }
        }
        return total;
    }
}
