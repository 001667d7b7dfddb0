using System.Text.Json;
using CriShim.Oci.Specs;
using Mono.Unix.Native;

namespace CriShim.Stores;

/// <summary>Writes a file so that a crash leaves either the old or the new content, never half of one.</summary>
public static class AtomicFile
{
    public static async Task WriteJsonAsync<T>(string path, T value, JsonSerializerOptions json, CancellationToken ct = default)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, json.Info<T>());
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
        // The rename lives in the directory: until the directory is on disk, a power loss may bring back the old file.
        SyncDirectory(dir);
    }

    /// <summary>Deletes a file and makes the removal durable (a deleted record must not come back after a crash).</summary>
    public static void Delete(string path)
    {
        File.Delete(path);
        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>fsync(2) of a directory, so the entries renamed or removed in it survive a power loss.</summary>
    public static void SyncDirectory(string dir)
    {
        var fd = Syscall.open(dir, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC);
        if (fd < 0) throw new IOException($"opening directory {dir} to sync it failed: {Stdlib.GetLastError()}");
        try
        {
            if (Syscall.fsync(fd) != 0) throw new IOException($"fsync of directory {dir} failed: {Stdlib.GetLastError()}");
        }
        finally { Syscall.close(fd); }
    }

    /// <summary>Reads every record in a directory, skipping (and removing) temp files a crash left behind. A record that
    /// cannot be read or fails <paramref name="validate"/> is reported and moved to the <c>corrupt</c> subdirectory, so it
    /// is kept for a look but never read again.</summary>
    public static IEnumerable<(string Path, T Value)> ReadAll<T>(string dir, JsonSerializerOptions json, Action<string, Exception> onCorrupt, Action<T>? validate = null)
    {
        if (!Directory.Exists(dir)) yield break;
        foreach (var path in Directory.EnumerateFiles(dir).ToList())
        {
            if (Path.GetFileName(path).StartsWith('.')) { File.Delete(path); continue; }
            T? value = default;
            try
            {
                value = JsonSerializer.Deserialize(File.ReadAllBytes(path), json.Info<T>()) ?? throw new JsonException("the record is null");
                validate?.Invoke(value);
            }
            catch (Exception e)
            {
                value = default;
                onCorrupt(Quarantine(path), e);
            }
            if (value is not null) yield return (path, value);
        }
    }

    /// <summary>Moves an unreadable record aside; returns where it went (its own path if it could not be moved).</summary>
    static string Quarantine(string path)
    {
        try
        {
            var dir = Path.Combine(Path.GetDirectoryName(path)!, "corrupt");
            Directory.CreateDirectory(dir);
            var target = Path.Combine(dir, Path.GetFileName(path));
            File.Move(path, target, overwrite: true);
            return target;
        }
        catch (IOException) { return path; }
        catch (UnauthorizedAccessException) { return path; }
    }
}
