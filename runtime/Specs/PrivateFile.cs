namespace CriShim.Oci.Specs;

/// <summary>Files only the daemon (root) may read: bundles, process specs and records carry environment secrets.</summary>
public static class PrivateFile
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>A new file, mode 0600 from its creation (no window with a wider mode), for async writes.</summary>
    public static FileStreamOptions CreateNew => new()
    {
        Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 4096,
        Options = FileOptions.Asynchronous, UnixCreateMode = Mode,
    };

    /// <summary>Writes <paramref name="text"/> to a new or truncated file created 0600.</summary>
    public static async Task WriteAllTextAsync(string path, string text, CancellationToken ct = default)
    {
        var options = CreateNew;
        options.Mode = FileMode.Create;
        await using var stream = new FileStream(path, options);
        await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), ct);
    }
}
