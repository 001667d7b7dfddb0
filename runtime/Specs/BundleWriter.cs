using System.Text.Json;
using CriShim.Oci.Specs.Model;

namespace CriShim.Oci.Specs;

/// <summary>Writes and reads a bundle's config.json; the write is atomic (temp file, rename).</summary>
public static class BundleWriter
{
    public const string ConfigFileName = "config.json";

    public static async Task<string> WriteAsync(string bundleDir, Spec spec, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(bundleDir);
        var path = Path.Combine(bundleDir, ConfigFileName);
        var temp = Path.Combine(bundleDir, $".{ConfigFileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            // 0600: config.json holds the container's environment, secrets included.
            await using (var stream = new FileStream(temp, PrivateFile.CreateNew))
            {
                await JsonSerializer.SerializeAsync(stream, spec, OciJson.Info<Spec>(), cancellationToken);
                // No fsync: config.json is the input of `runc create`, which reads it from the page cache right away;
                // a power loss takes the container with it, and later readers (status, exec) need a live container
                // or read it best-effort. The rename keeps a daemon crash from ever leaving half a file.
                await stream.FlushAsync(cancellationToken);
            }
            File.Move(temp, path, overwrite: true);
            return path;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public static async Task<Spec> ReadAsync(string bundleDir, CancellationToken cancellationToken = default)
    {
        await using var stream = File.OpenRead(Path.Combine(bundleDir, ConfigFileName));
        return await JsonSerializer.DeserializeAsync(stream, OciJson.Info<Spec>(), cancellationToken)
            ?? throw new InvalidDataException($"{bundleDir}/{ConfigFileName} is empty");
    }

    public static string Serialize(Spec spec) => JsonSerializer.Serialize(spec, OciJson.Info<Spec>());
}
