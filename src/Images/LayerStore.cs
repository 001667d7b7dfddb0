using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using CriShim.Config;

namespace CriShim.Images;

/// <summary>
/// Unpacked layers under Root/images/layers/HEX (HEX = the layer's diff ID), each unpacked once and shared by every
/// image that has it. A layer is unpacked into a temp directory and renamed into place only when complete and
/// its diff ID verified, so a killed daemon never leaves a half layer under its final name.
/// </summary>
public sealed class LayerStore(ImagePaths paths, ILogger<LayerStore> log, CriShimOptions? options = null)
{
    /// <summary>How far a download may run ahead of its unpacker (per layer; three layers stream at once).</summary>
    const int PipeBytes = 4 << 20;
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
            var temp = TempDirectoryFor(diffId);
            try
            {
                Digest actual;
                await using (var blob = new FileStream(blobPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
                    actual = await LayerUnpacker.UnpackAsync(blob, temp, _limits, token);
                return Commit(diffId, actual, temp, final, Path.GetFileName(blobPath));
            }
            finally
            {
                if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            }
        }, ct);

    /// <summary>
    /// One attempt at a layer whose blob is not stored yet, unpacked while it downloads: <paramref name="download"/>
    /// stores the blob (checking its size and digest on the stream) and writes every byte it accepts to the pipe it is
    /// given too, which this unpacks as the bytes arrive. The layer is renamed into place only after the blob's digest
    /// and the layer's diff ID matched; a failure of either side stops the other and leaves no temp directory (the
    /// blob's own temp file is the content store's to remove). Failures of the unpacker that are not
    /// <see cref="ImageException"/>s come as <see cref="LayerUnpackException"/>, so a download retry does not mistake
    /// a local I/O error for a network one.
    /// </summary>
    public async Task<string> UnpackWhileDownloadingAsync(string diffId, string blobDigest,
        Func<PipeWriter, CancellationToken, Task> download, CancellationToken ct)
    {
        var final = DirectoryOf(diffId);
        if (Directory.Exists(final)) return final;
        Directory.CreateDirectory(paths.Layers);
        var temp = TempDirectoryFor(diffId);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PipeBytes, resumeWriterThreshold: PipeBytes / 2, useSynchronizationContext: false));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // The first failure is the cause: the other side only saw it come through the pipe or as a cancellation.
        Exception? cause = null;
        void Failed(Exception e) => Interlocked.CompareExchange(ref cause, e, null);
        try
        {
            var unpack = Task.Run(async () =>
            {
                try
                {
                    Digest id;
                    // the unpacker closes what it reads: leave the reader open for the drain below
                    await using (var layer = pipe.Reader.AsStream(leaveOpen: true))
                        id = await LayerUnpacker.UnpackAsync(layer, temp, _limits, stop.Token);
                    // bytes after the compressed stream's end still belong to the blob: let them through
                    await using (var rest = pipe.Reader.AsStream())
                        await rest.CopyToAsync(Stream.Null, stop.Token);
                    return id;
                }
                catch (Exception e)
                {
                    var reported = e is ImageException or OperationCanceledException ? e : new LayerUnpackException(e);
                    Failed(reported);
                    await stop.CancelAsync(); // nothing the download still brings can be used
                    await pipe.Reader.CompleteAsync(e);
                    throw reported;
                }
            }, CancellationToken.None);
            var feed = Task.Run(async () =>
            {
                try
                {
                    await download(pipe.Writer, stop.Token);
                    await pipe.Writer.CompleteAsync();
                }
                catch (Exception e)
                {
                    Failed(e); // before the unpacker can see it
                    await pipe.Writer.CompleteAsync(e);
                    throw;
                }
            }, CancellationToken.None);
            try { await Task.WhenAll(unpack, feed); }
            catch (Exception) when (cause is not null) { ExceptionDispatchInfo.Throw(cause); }
            return Commit(diffId, unpack.Result, temp, final, blobDigest);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>Renames a verified unpack into place; a concurrent unpack of the same layer that got there first wins.</summary>
    string Commit(string diffId, Digest actual, string temp, string final, string blob)
    {
        if (actual.ToString() != diffId)
            throw new ImageException(ImageErrorKind.Corrupt, $"layer {blob} unpacks to diff ID {actual}, the image config says {diffId}");
        try { Directory.Move(temp, final); }
        catch (IOException) when (Directory.Exists(final)) { return final; }
        log.LogInformation("unpacked layer {DiffId}", diffId);
        return final;
    }

    string TempDirectoryFor(string diffId) => Path.Combine(paths.Temp, $"layer-{Digest.Parse(diffId).Hex[..12]}-{Guid.NewGuid():N}");

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

/// <summary>A layer failed to unpack for a local reason (the disk, a refused syscall), not because of the download.</summary>
public sealed class LayerUnpackException(Exception inner) : Exception(inner.Message, inner);
