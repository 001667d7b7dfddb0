using System.Runtime.ExceptionServices;
using System.Text.Json;

namespace CriShim.Images;

/// <summary>
/// Pulls an image: resolves the reference (picking this platform out of an index), fetches and verifies the config,
/// then fetches up to three layers at once, each unpacked while it downloads, then records the image. Concurrent
/// pulls of one reference share the work only when they pull with the same credentials; blobs and layers already
/// present are not fetched again (so an interrupted pull resumes). A layer that can never be unpacked (hostile, over
/// its limits) leaves nothing.
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

    /// <remarks>The shared pull is keyed by the credentials too: a pull must neither succeed on another's credentials
    /// nor fail on another's wrong ones.</remarks>
    public Task<ImageRecord> PullAsync(ImageReference reference, RegistryCredentials? credentials, CancellationToken ct) =>
        _pulls.RunAsync($"{reference}\n{RegistryCredentials.IdentityOf(credentials)}", token => PullOnceAsync(reference, credentials, token), ct);

    async Task<ImageRecord> PullOnceAsync(ImageReference reference, RegistryCredentials? credentials, CancellationToken ct)
    {
        log.LogInformation("pulling {Image}", reference);
        var session = registry.Open(reference, credentials);
        var sessionKey = $"{reference.Name}\n{RegistryCredentials.IdentityOf(credentials)}";
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
            var child = await session.GetManifestAsync(chosen.Digest, ct, declaredSize: chosen.Size);
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

        if (configDescriptor.Size > ImageLimits.MaxConfigBytes)
            throw new ImageException(ImageErrorKind.TooLarge,
                $"config {configDigest} of {reference} is declared {configDescriptor.Size} bytes, over {ByteSize.Format(ImageLimits.MaxConfigBytes)}, the limit on image configs");
        if (configDescriptor.Size < 0 || manifest.Layers.Any(l => l.Size < 0))
            throw new ImageException(ImageErrorKind.Corrupt, $"manifest {manifestDigest} declares a negative blob size");

        // Lease everything this pull will use before looking at what exists, so a concurrent removal keeps it.
        var fetched = blobs.Append(configDigest.ToString()).Concat(manifest.Layers.Select(l => l.Digest)).ToList();
        using var lease = images.Lease(fetched);
        IDisposable? layerLease = null;
        List<string> diffIds = [];
        ImageConfigFile config;
        List<LayerRef> layerRefs;
        try
        {
            // streamed to disk (no more than its declared size), then parsed: the cap above bounds what is read back
            var configPath = await EnsureBlobAsync(session, sessionKey, configDescriptor, ct);
            config = Parse<ImageConfigFile>(await File.ReadAllBytesAsync(configPath, ct), $"config {configDigest}");
            diffIds = config.RootFs?.DiffIds ?? [];
            if (diffIds.Count != manifest.Layers.Count)
                throw new ImageException(ImageErrorKind.Corrupt, $"config {configDigest} lists {diffIds.Count} diff IDs for {manifest.Layers.Count} layers");
            if (diffIds.Any(d => !Digest.TryParse(d, out _)))
                throw new ImageException(ImageErrorKind.Corrupt, $"config {configDigest} has a malformed diff ID");
            layerLease = images.Lease(diffIds);

            layerRefs = manifest.Layers.Select((l, i) => new LayerRef(l.Digest, l.Size, l.MediaType!, diffIds[i])).ToList();
            await Parallel.ForEachAsync(layerRefs.DistinctBy(l => l.DiffId),
                new ParallelOptions { MaxDegreeOfParallelism = ParallelLayers, CancellationToken = ct },
                (layer, token) => new ValueTask(EnsureLayerAsync(session, layer, token)));
        }
        catch (ImageException e) when (e.ImageKind is ImageErrorKind.Unsafe or ImageErrorKind.TooLarge or ImageErrorKind.Corrupt or ImageErrorKind.Unsupported)
        {
            // This image can never be stored, so no removal would ever collect what it brought: what no stored image
            // and no other pull uses goes now (a transient failure keeps it, for the retry to resume from).
            lease.Dispose();
            layerLease?.Dispose();
            await images.ForgetUnusedAsync(fetched, diffIds.Where(d => Digest.TryParse(d, out _)), CancellationToken.None);
            throw;
        }
        finally { layerLease?.Dispose(); }

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

    /// <summary>
    /// Makes a layer present: unpacked from its stored blob when a former pull left that, else downloaded and unpacked
    /// in one pass (digest and diff ID checked on the stream, retried whole on a transient failure). Runs on the
    /// pull's own token, so a failing sibling layer stops it and the pull's cleanup sees it finished.
    /// </summary>
    async Task EnsureLayerAsync(RegistrySession session, LayerRef layer, CancellationToken ct)
    {
        if (layers.Contains(layer.DiffId)) return;
        var digest = Digest.Parse(layer.Digest);
        if (content.Contains(digest))
        {
            await layers.EnsureAsync(layer.DiffId, content.PathOf(digest), ct);
            return;
        }
        var descriptor = new Descriptor { Digest = layer.Digest, Size = layer.Size, MediaType = layer.MediaType };
        try
        {
            await registry.WithRetryAsync($"downloading blob {layer.Digest}", async attempt =>
            {
                var dir = await layers.UnpackWhileDownloadingAsync(layer.DiffId, layer.Digest,
                    (unpacker, token) => content.IngestAsync(descriptor,
                        (sink, t) => session.CopyBlobAsync(descriptor, new TeeStream(sink, unpacker), t), token), attempt);
                metrics?.AddPulledBytes(descriptor.Size);
                return dir;
            }, ct);
        }
        catch (LayerUnpackException e)
        {
            ExceptionDispatchInfo.Throw(e.InnerException!);
        }
    }

    /// <summary>Downloads a blob once (shared by concurrent pulls of one repository with the same credentials) with
    /// retries; returns its verified path.</summary>
    Task<string> EnsureBlobAsync(RegistrySession session, string sessionKey, Descriptor descriptor, CancellationToken ct)
    {
        var digest = Digest.Parse(descriptor.Digest);
        if (content.Contains(digest)) return Task.FromResult(content.PathOf(digest));
        return _blobs.RunAsync($"{descriptor.Digest}\n{sessionKey}", token =>
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
            return JsonSerializer.Deserialize(json, JsonOptions.Compact.Info<T>())
                   ?? throw new ImageException(ImageErrorKind.Corrupt, $"{what} is empty");
        }
        catch (JsonException e)
        {
            throw new ImageException(ImageErrorKind.Corrupt, $"{what} is not valid JSON: {e.Message}", e);
        }
    }
}
