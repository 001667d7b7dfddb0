using CriShim.Config;

namespace CriShim.Images;

/// <summary>
/// Unpacked layers under Root/images/layers/HEX (HEX = the layer's diff ID), each unpacked once and shared by every
/// image that has it. A layer is unpacked into a temp directory and renamed into place only when complete and
/// its diff ID verified, so a killed daemon never leaves a half layer under its final name.
/// </summary>
public sealed class LayerStore(ImagePaths paths, ILogger<LayerStore> log, CriShimOptions? options = null)
{
    readonly LayerLimits _limits = options is null ? LayerLimits.Default : LayerLimits.From(options.Images);
    readonly SingleFlight<string, string> _unpacking = new();

    public string DirectoryOf(string diffId) => Path.Combine(paths.Layers, Digest.Parse(diffId).Hex);

    public bool Contains(string diffId) => Directory.Exists(DirectoryOf(diffId));

    /// <summary>Unpacks the layer blob at <paramref name="blobPath"/> unless its directory exists; returns the directory.</summary>
    public Task<string> EnsureAsync(string diffId, string blobPath, CancellationToken ct) =>
        _unpacking.RunAsync(diffId, async token =>
        {
            var final = DirectoryOf(diffId);
            if (Directory.Exists(final)) return final;
            Directory.CreateDirectory(paths.Layers);
            var temp = Path.Combine(paths.Temp, $"layer-{Digest.Parse(diffId).Hex[..12]}-{Guid.NewGuid():N}");
            try
            {
                Digest actual;
                await using (var blob = new FileStream(blobPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
                    actual = await LayerUnpacker.UnpackAsync(blob, temp, _limits, token);
                if (actual.ToString() != diffId)
                    throw new ImageException(ImageErrorKind.Corrupt, $"layer {Path.GetFileName(blobPath)} unpacks to diff ID {actual}, the image config says {diffId}");
                Directory.Move(temp, final);
                log.LogInformation("unpacked layer {DiffId}", diffId);
                return final;
            }
            finally
            {
                if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            }
        }, ct);

    public void Delete(string diffId)
    {
        var dir = DirectoryOf(diffId);
        if (!Directory.Exists(dir)) return;
        // Rename first so a crash mid-delete leaves garbage in tmp (cleaned at start), never a partial layer.
        var doomed = Path.Combine(paths.Temp, $"deleted-{Path.GetFileName(dir)[..12]}-{Guid.NewGuid():N}");
        Directory.Move(dir, doomed);
        Directory.Delete(doomed, recursive: true);
    }
}
