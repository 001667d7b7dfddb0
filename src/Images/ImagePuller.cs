using System.Text.Json;

namespace CriShim.Images;

/// <summary>
/// Pulls an image: resolves the reference (picking this platform out of an index), fetches and verifies the config
/// and every layer blob, unpacks each layer once, then records the image. Concurrent pulls of one reference share
/// the work; blobs and layers already present are not fetched again (so an interrupted pull resumes).
/// </summary>
public sealed class ImagePuller(
    RegistryClient registry, ContentStore content, LayerStore layers, ImageStore images, ILogger<ImagePuller> log,
    IHostApplicationLifetime? lifetime = null, Metrics.DaemonMetrics? metrics = null)
{
    const int ParallelLayers = 3;
    readonly SingleFlight<string, ImageRecord> _pulls = new(lifetime?.ApplicationStopping ?? default);
    readonly SingleFlight<string, string> _blobs = new(lifetime?.ApplicationStopping ?? default);

    public PlatformMatcher Platform { get; init; } = PlatformMatcher.Host;

    /// <summary>Pulls <paramref name="reference"/> (any docker-style spelling) and returns the stored image.</summary>
    public Task<ImageRecord> PullAsync(string reference, RegistryCredentials? credentials, CancellationToken ct)
    {
        if (!ImageReference.TryParse(reference, out var parsed, out var error))
            throw new ImageException(ImageErrorKind.Invalid, error);
        return PullAsync(parsed, credentials, ct);
    }

    public Task<ImageRecord> PullAsync(ImageReference reference, RegistryCredentials? credentials, CancellationToken ct) =>
        _pulls.RunAsync(reference.ToString(), token => PullOnceAsync(reference, credentials, token), ct);

    async Task<ImageRecord> PullOnceAsync(ImageReference reference, RegistryCredentials? credentials, CancellationToken ct)
    {
        log.LogInformation("pulling {Image}", reference);
        var session = registry.Open(reference, credentials);
        var top = await session.GetManifestAsync(reference.RegistryReference, ct);
        var blobs = new List<string> { top.Digest.ToString() };
        var manifestBytes = top.Content;
        var manifestDigest = top.Digest;

        if (MediaTypes.IsSchema1(top.MediaType))
            throw new ImageException(ImageErrorKind.Unsupported, $"{reference} is a Docker schema 1 image, which is not supported");
        if (MediaTypes.IsIndex(top.MediaType))
        {
            var index = Parse<ImageIndex>(top.Content, $"index {top.Digest}");
            var chosen = Platform.Select(index.Manifests) ?? throw new ImageException(ImageErrorKind.Unsupported,
                $"{reference} has no image for {Platform.Os}/{Platform.Architecture} (it has: {string.Join(", ", index.Manifests.Select(m => m.Platform?.ToString() ?? "?"))})");
            var child = await session.GetManifestAsync(chosen.Digest, ct);
            if (child.Content.Length != chosen.Size)
                throw new ImageException(ImageErrorKind.Corrupt, $"manifest {chosen.Digest} is {child.Content.Length} bytes, the index says {chosen.Size}");
            if (!MediaTypes.IsManifest(child.MediaType))
                throw new ImageException(ImageErrorKind.Unsupported, $"manifest {chosen.Digest} of {reference} has media type {child.MediaType}");
            manifestBytes = child.Content;
            manifestDigest = child.Digest;
            blobs.Add(child.Digest.ToString());
        }
        else if (!MediaTypes.IsManifest(top.MediaType))
        {
            throw new ImageException(ImageErrorKind.Unsupported, $"{reference} resolves to unsupported media type {top.MediaType}");
        }

        var manifest = Parse<ImageManifest>(manifestBytes, $"manifest {manifestDigest}");
        if (manifest.Config is not { } configDescriptor || !Digest.TryParse(configDescriptor.Digest, out var configDigest))
            throw new ImageException(ImageErrorKind.Corrupt, $"manifest {manifestDigest} has no valid config descriptor");
        foreach (var layer in manifest.Layers)
        {
            if (!Digest.TryParse(layer.Digest, out _)) throw new ImageException(ImageErrorKind.Corrupt, $"manifest {manifestDigest} has a layer with digest \"{layer.Digest}\"");
            if (!MediaTypes.IsLayer(layer.MediaType)) throw new ImageException(ImageErrorKind.Unsupported, $"layer {layer.Digest} has unsupported media type {layer.MediaType}");
        }

        // Lease everything this pull will use before looking at what exists, so a concurrent removal keeps it.
        using var lease = images.Lease(blobs.Append(configDigest.ToString()).Concat(manifest.Layers.Select(l => l.Digest)));
        var configPath = await EnsureBlobAsync(session, configDescriptor, ct);
        var config = Parse<ImageConfigFile>(await File.ReadAllBytesAsync(configPath, ct), $"config {configDigest}");
        var diffIds = config.RootFs?.DiffIds ?? [];
        if (diffIds.Count != manifest.Layers.Count)
            throw new ImageException(ImageErrorKind.Corrupt, $"config {configDigest} lists {diffIds.Count} diff IDs for {manifest.Layers.Count} layers");
        if (diffIds.Any(d => !Digest.TryParse(d, out _)))
            throw new ImageException(ImageErrorKind.Corrupt, $"config {configDigest} has a malformed diff ID");
        using var layerLease = images.Lease(diffIds);

        var layerRefs = manifest.Layers.Select((l, i) => new LayerRef(l.Digest, l.Size, l.MediaType!, diffIds[i])).ToList();
        await Parallel.ForEachAsync(layerRefs.DistinctBy(l => l.DiffId),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelLayers, CancellationToken = ct },
            async (layer, token) =>
            {
                if (layers.Contains(layer.DiffId)) return;
                var blobPath = await EnsureBlobAsync(session, new Descriptor { Digest = layer.Digest, Size = layer.Size, MediaType = layer.MediaType }, token);
                await layers.EnsureAsync(layer.DiffId, blobPath, token);
            });

        // Manifests last among blobs: they are what a resumed pull does not need to trust.
        await content.PutAsync(top.Digest, top.Content, ct);
        if (manifestDigest != top.Digest) await content.PutAsync(manifestDigest, manifestBytes, ct);

        var record = new ImageRecord
        {
            Id = configDigest.ToString(),
            RepoTags = reference.Digest is null && reference.TaggedName is { } tagged ? [tagged] : [],
            RepoDigests = [reference.DigestedName(top.Digest)],
            Size = configDescriptor.Size + layerRefs.Sum(l => l.Size),
            Config = ImageConfig.From(config),
            ManifestDigest = manifestDigest.ToString(),
            Layers = layerRefs,
            Blobs = blobs.Append(configDigest.ToString()).Concat(layerRefs.Select(l => l.Digest)).Distinct().ToList(),
            Os = config.Os ?? "linux",
            Architecture = config.Architecture ?? "",
            PulledAt = DateTimeOffset.UtcNow,
        };
        var stored = await images.AddAsync(record, ct);
        log.LogInformation("pulled {Image} as {ImageId} ({Layers} layers, {Size} bytes)", reference, stored.Id, layerRefs.Count, record.Size);
        return stored;
    }

    /// <summary>Downloads a blob once (shared by concurrent pulls) with retries; returns its verified path.</summary>
    Task<string> EnsureBlobAsync(RegistrySession session, Descriptor descriptor, CancellationToken ct)
    {
        var digest = Digest.Parse(descriptor.Digest);
        if (content.Contains(digest)) return Task.FromResult(content.PathOf(digest));
        return _blobs.RunAsync(descriptor.Digest, token =>
            registry.WithRetryAsync($"downloading blob {descriptor.Digest}",
                async attempt =>
                {
                    var path = await content.IngestAsync(descriptor, (sink, t) => session.CopyBlobAsync(descriptor, sink, t), attempt);
                    metrics?.AddPulledBytes(descriptor.Size);
                    return path;
                },
                token), ct);
    }

    static T Parse<T>(byte[] json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, JsonOptions.Compact)
                   ?? throw new ImageException(ImageErrorKind.Corrupt, $"{what} is empty");
        }
        catch (JsonException e)
        {
            throw new ImageException(ImageErrorKind.Corrupt, $"{what} is not valid JSON: {e.Message}", e);
        }
    }
}
