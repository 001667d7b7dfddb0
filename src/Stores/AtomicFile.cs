using System.Text.Json;
using CriShim.Runtime.Oci;

namespace CriShim.Stores;

/// <summary>Writes a file so that a crash leaves either the old or the new content, never half of one.</summary>
public static class AtomicFile
{
    public static async Task WriteJsonAsync<T>(string path, T value, JsonSerializerOptions json, CancellationToken ct = default)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, json);
        await WriteAsync(path, bytes, ct);
    }

    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            // 0600: records hold the pod and container configs, environment secrets included.
            await using (var file = new FileStream(temp, PrivateFile.CreateNew))
            {
                await file.WriteAsync(bytes, ct);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Reads every record in a directory, skipping (and removing) temp files a crash left behind.</summary>
    public static IEnumerable<(string Path, T Value)> ReadAll<T>(string dir, JsonSerializerOptions json, Action<string, Exception> onCorrupt)
    {
        if (!Directory.Exists(dir)) yield break;
        foreach (var path in Directory.EnumerateFiles(dir))
        {
            if (Path.GetFileName(path).StartsWith('.')) { File.Delete(path); continue; }
            T? value = default;
            try { value = JsonSerializer.Deserialize<T>(File.ReadAllBytes(path), json); }
            catch (Exception e) { onCorrupt(path, e); }
            if (value is not null) yield return (path, value);
        }
    }
}
