using System.Text.Json;

namespace CriShim.Images;

/// <summary>
/// The images this node has: records in memory, persisted one JSON file per image (written atomically), and the
/// blobs and layers they use. Resolves an image by ID, tag or digest; removal collects what no image uses any more.
/// </summary>
public sealed class ImageStore
{
    static readonly JsonSerializerOptions Json = JsonOptions.Indented;
    readonly ImagePaths _paths;
    readonly ContentStore _content;
    readonly LayerStore _layers;
    readonly IEnumerable<ILayerUsers> _layerUsers;
    readonly ILogger<ImageStore> _log;
    readonly SemaphoreSlim _write = new(1, 1);
    readonly Lock _leaseLock = new();
    readonly Dictionary<string, int> _leases = new();
    volatile Dictionary<string, ImageRecord> _images;

    public ImageStore(ImagePaths paths, ContentStore content, LayerStore layers, IEnumerable<ILayerUsers> layerUsers, ILogger<ImageStore> log)
    {
        _paths = paths;
        _content = content;
        _layers = layers;
        _layerUsers = layerUsers;
        _log = log;
        Directory.CreateDirectory(paths.Records);
        Directory.CreateDirectory(paths.Layers);
        CleanTemp();
        _images = Load();
    }

    public ImagePaths Paths => _paths;

    sealed record UsageSample(DateTimeOffset At, ulong Bytes, ulong Inodes);
    volatile UsageSample? _usage;

    /// <summary>Bytes and inodes the store uses; walked at most every few seconds (kubelet asks often).</summary>
    public (ulong Bytes, ulong Inodes) Usage()
    {
        if (_usage is { } u && DateTimeOffset.UtcNow - u.At < TimeSpan.FromSeconds(5)) return (u.Bytes, u.Inodes);
        var (bytes, inodes) = DiskUsage.Measure(_paths.Base);
        _usage = new UsageSample(DateTimeOffset.UtcNow, bytes, inodes);
        return (bytes, inodes);
    }

    public IReadOnlyList<ImageRecord> List() =>
        _images.Values.OrderBy(i => i.RepoTags.FirstOrDefault() ?? i.RepoDigests.FirstOrDefault() ?? i.Id, StringComparer.Ordinal).ThenBy(i => i.Id).ToList();

    /// <summary>
    /// The image named by an ID ("sha256:HEX" or HEX), a reference with a tag ("busybox" = docker.io/library/busybox:latest)
    /// or a digest ("name@sha256:..."); null when there is none. A malformed reference throws <see cref="ImageErrorKind.Invalid"/>.
    /// </summary>
    public ImageRecord? Resolve(string reference)
    {
        if (string.IsNullOrWhiteSpace(reference)) throw new ImageException(ImageErrorKind.Invalid, "image reference is empty");
        var images = _images;
        if (ImageReference.LooksLikeImageId(reference))
        {
            var id = reference.StartsWith("sha256:", StringComparison.Ordinal) ? reference : "sha256:" + reference;
            if (images.TryGetValue(id, out var byId)) return byId;
        }
        if (!ImageReference.TryParse(reference, out var parsed, out var error))
        {
            // a bare "sha256:..." that is no image ID is a miss, not an error
            if (ImageReference.LooksLikeImageId(reference)) return null;
            throw new ImageException(ImageErrorKind.Invalid, error);
        }
        if (parsed.Digest is { } digest)
        {
            var repoDigest = parsed.DigestedName(digest);
            return images.Values.FirstOrDefault(i => i.RepoDigests.Contains(repoDigest));
        }
        var tagged = parsed.TaggedName!;
        return images.Values.FirstOrDefault(i => i.RepoTags.Contains(tagged));
    }

    public ImageRecord? Get(string id) => _images.GetValueOrDefault(id);

    /// <summary>Adds a pulled image or merges its names into the stored one; a tag moves away from any other image.</summary>
    public async Task<ImageRecord> AddAsync(ImageRecord pulled, CancellationToken ct)
    {
        await _write.WaitAsync(ct);
        try
        {
            var images = new Dictionary<string, ImageRecord>(_images);
            foreach (var other in images.Values.Where(i => i.Id != pulled.Id && i.RepoTags.Intersect(pulled.RepoTags).Any()).ToList())
            {
                var moved = other with { RepoTags = other.RepoTags.Except(pulled.RepoTags).ToList() };
                await PersistAsync(moved, ct);
                images[other.Id] = moved;
                _log.LogInformation("tags {Tags} moved from image {Old} to {New}", other.RepoTags.Intersect(pulled.RepoTags), other.Id, pulled.Id);
            }
            var record = images.TryGetValue(pulled.Id, out var existing)
                ? existing with
                {
                    RepoTags = existing.RepoTags.Union(pulled.RepoTags).Order(StringComparer.Ordinal).ToList(),
                    RepoDigests = existing.RepoDigests.Union(pulled.RepoDigests).Order(StringComparer.Ordinal).ToList(),
                    Blobs = existing.Blobs.Union(pulled.Blobs).ToList(),
                    PulledAt = pulled.PulledAt,
                }
                : pulled;
            record = WithLayerDirs(record);
            await PersistAsync(record, ct);
            images[record.Id] = record;
            _images = images;
            _usage = null;
            return record;
        }
        finally { _write.Release(); }
    }

    /// <summary>Removes the image (all its names) and collects blobs and layers no other image uses. Missing is fine;
    /// an image a container mounts as a volume is refused (<see cref="ImageErrorKind.InUse"/>).</summary>
    public async Task<ImageRecord?> RemoveAsync(string reference, CancellationToken ct)
    {
        await _write.WaitAsync(ct);
        try
        {
            var image = Resolve(reference);
            if (image is null) return null;
            if (_layerUsers.Select(u => u.ImageUser(image.Id)).FirstOrDefault(u => u is not null) is { } user)
                throw new ImageException(ImageErrorKind.InUse, $"image {image.Id} is in use: {user}");
            var images = new Dictionary<string, ImageRecord>(_images);
            images.Remove(image.Id);
            File.Delete(RecordPath(image.Id));
            _images = images;
            _log.LogInformation("removed image {ImageId} ({Tags})", image.Id, string.Join(", ", image.RepoTags));
            CollectGarbage(image, images.Values);
            _usage = null;
            return image;
        }
        finally { _write.Release(); }
    }

    /// <summary>Keeps blobs and layers of a pull in progress from being collected. Dispose when the image is stored.</summary>
    public IDisposable Lease(IEnumerable<string> digests)
    {
        var held = digests.Distinct().ToList();
        lock (_leaseLock) foreach (var d in held) _leases[d] = _leases.GetValueOrDefault(d) + 1;
        return new LeaseHandle(this, held);
    }

    void Release(List<string> held)
    {
        lock (_leaseLock)
            foreach (var d in held)
                if (--_leases[d] == 0) _leases.Remove(d);
    }

    /// <summary>Deletes what a failed pull brought (blobs, unpacked layers) that no stored image uses and no pull holds.</summary>
    public async Task ForgetUnusedAsync(IEnumerable<string> blobs, IEnumerable<string> diffIds, CancellationToken ct)
    {
        await _write.WaitAsync(ct);
        try
        {
            CollectGarbage(blobs, diffIds, _images.Values);
            _usage = null;
        }
        finally { _write.Release(); }
    }

    void CollectGarbage(ImageRecord removed, IEnumerable<ImageRecord> remaining) =>
        CollectGarbage(removed.Blobs, removed.Layers.Select(l => l.DiffId), remaining);

    void CollectGarbage(IEnumerable<string> blobs, IEnumerable<string> diffIds, IEnumerable<ImageRecord> remaining)
    {
        var keptBlobs = remaining.SelectMany(i => i.Blobs).ToHashSet();
        var keptLayers = remaining.SelectMany(i => i.Layers.Select(l => l.DiffId)).ToHashSet();
        var inUse = _layerUsers.SelectMany(u => u.LayerDirsInUse()).Select(Path.GetFullPath).ToHashSet();
        HashSet<string> leased;
        lock (_leaseLock) leased = _leases.Keys.ToHashSet();
        foreach (var blob in blobs.Distinct().Where(b => !keptBlobs.Contains(b) && !leased.Contains(b)))
            if (Digest.TryParse(blob, out var digest)) _content.Delete(digest);
        foreach (var layer in diffIds.Distinct())
        {
            if (keptLayers.Contains(layer) || leased.Contains(layer) || inUse.Contains(_layers.DirectoryOf(layer))) continue;
            try { _layers.Delete(layer); }
            catch (IOException e) { _log.LogWarning(e, "could not delete layer {DiffId}", layer); }
        }
    }

    // A layer listed twice (typically the empty layer) is one directory: overlayfs refuses a lowerdir given twice.
    ImageRecord WithLayerDirs(ImageRecord record) =>
        record with { LayerDirs = record.Layers.Select(l => _layers.DirectoryOf(l.DiffId)).Distinct().ToList() };

    string RecordPath(string id) => Path.Combine(_paths.Records, Digest.Parse(id).Hex + ".json");

    async Task PersistAsync(ImageRecord record, CancellationToken ct)
    {
        var temp = Path.Combine(_paths.Temp, $"record-{Guid.NewGuid():N}.json");
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            await JsonSerializer.SerializeAsync(file, record, Json.Info<ImageRecord>(), ct);
            await file.FlushAsync(ct);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, RecordPath(record.Id), overwrite: true);
    }

    Dictionary<string, ImageRecord> Load()
    {
        var images = new Dictionary<string, ImageRecord>();
        foreach (var file in Directory.EnumerateFiles(_paths.Records, "*.json"))
        {
            try
            {
                var record = JsonSerializer.Deserialize(File.ReadAllBytes(file), Json.Info<ImageRecord>());
                if (record is null) continue;
                // An image whose layers are gone (deleted by hand) is not usable: forget it, a pull brings it back.
                if (record.Layers.Any(l => !_layers.Contains(l.DiffId)))
                {
                    _log.LogWarning("image {ImageId} lost layers; forgetting it", record.Id);
                    File.Delete(file);
                    continue;
                }
                images[record.Id] = WithLayerDirs(record);
            }
            catch (Exception e) when (e is JsonException or IOException or FormatException)
            {
                _log.LogWarning(e, "ignoring unreadable image record {File}", file);
            }
        }
        _log.LogInformation("image store at {Path}: {Count} images", _paths.Base, images.Count);
        return images;
    }

    /// <summary>What is in tmp was being downloaded, unpacked or deleted by a daemon that died: none of it is needed.</summary>
    void CleanTemp()
    {
        Directory.CreateDirectory(_paths.Temp);
        foreach (var entry in new DirectoryInfo(_paths.Temp).EnumerateFileSystemInfos())
        {
            try
            {
                if (entry is DirectoryInfo { LinkTarget: null } dir) dir.Delete(recursive: true);
                else entry.Delete();
            }
            catch (IOException e) { _log.LogWarning(e, "could not clean {Path}", entry.FullName); }
        }
    }

    sealed class LeaseHandle(ImageStore store, List<string> held) : IDisposable
    {
        int _disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) store.Release(held);
        }
    }
}
