using System.Security.Cryptography;
using CriShim.Oci.IO;

namespace CriShim.Images;

/// <summary>
/// Content-addressed blobs (manifests, configs, compressed layers) under Root/images/blobs/sha256/HEX.
/// A blob appears under its name only after its size and digest were checked, by rename from a temp file.
/// </summary>
public sealed class ContentStore
{
    readonly string _blobs;
    readonly string _ingest;

    public ContentStore(ImagePaths paths)
    {
        _blobs = paths.Blobs;
        _ingest = paths.Temp;
        Directory.CreateDirectory(Path.Combine(_blobs, "sha256"));
        Directory.CreateDirectory(_ingest);
    }

    public string PathOf(Digest digest) => Path.Combine(_blobs, digest.Algorithm, digest.Hex);

    public bool Contains(Digest digest) => File.Exists(PathOf(digest));

    /// <summary>Stores bytes already in memory (a manifest, a config) after checking them against their digest.</summary>
    public async Task<string> PutAsync(Digest digest, byte[] content, CancellationToken ct)
    {
        var actual = Digest.Compute(content);
        if (actual != digest) throw new ImageException(ImageErrorKind.Corrupt, $"content {digest} has digest {actual}");
        var path = PathOf(digest);
        if (File.Exists(path)) return path;
        return await IngestAsync(new Descriptor { Digest = digest.ToString(), Size = content.Length },
            (sink, token) => sink.WriteAsync(content, token).AsTask(), ct);
    }

    /// <summary>
    /// One attempt to store a blob: <paramref name="write"/> fills a temp file; more bytes than the descriptor's size
    /// fail with <see cref="ImageErrorKind.TooLarge"/> at the first byte over it, fewer or another digest with
    /// <see cref="ImageErrorKind.Corrupt"/>; either leaves nothing.
    /// </summary>
    public async Task<string> IngestAsync(Descriptor descriptor, Func<Stream, CancellationToken, Task> write, CancellationToken ct)
    {
        var digest = Digest.Parse(descriptor.Digest);
        var path = PathOf(digest);
        if (File.Exists(path)) return path;
        var temp = Path.Combine(_ingest, $"blob-{digest.Hex[..12]}-{Guid.NewGuid():N}");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await using var verifying = new VerifyingStream(file, hash, descriptor.Size, digest);
                await write(verifying, ct);
                if (verifying.Written != descriptor.Size)
                    throw new ImageException(ImageErrorKind.Corrupt, $"blob {digest} is {verifying.Written} bytes, its descriptor says {descriptor.Size}");
                await file.FlushAsync(ct);
                file.Flush(flushToDisk: true);
            }
            var actual = Digest.FromHash(hash.GetHashAndReset());
            if (actual != digest) throw new ImageException(ImageErrorKind.Corrupt, $"blob {digest} has digest {actual}: content does not match its descriptor");
            File.Move(temp, path, overwrite: true);
            return path;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public void Delete(Digest digest)
    {
        var path = PathOf(digest);
        if (File.Exists(path)) File.Delete(path);
    }

    /// <summary>Counts bytes written and hashes them; refuses to grow past the expected size.</summary>
    sealed class VerifyingStream(Stream inner, IncrementalHash hash, long expectedSize, Digest digest) : ForwardOnlyStream
    {
        public long Written { get; private set; }
        public override bool CanRead => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Account(buffer);
            inner.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            Account(buffer.Span);
            await inner.WriteAsync(buffer, ct);
        }

        void Account(ReadOnlySpan<byte> data)
        {
            if (Written + data.Length > expectedSize)
                throw new ImageException(ImageErrorKind.TooLarge, $"blob {digest} is longer than the {expectedSize} bytes its descriptor declares");
            Written += data.Length;
            hash.AppendData(data);
        }

        // No Dispose override: what it wraps is the caller's, and Stream's own Dispose leaves it alone.
    }
}
