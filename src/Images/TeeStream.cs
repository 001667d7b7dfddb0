using System.IO.Pipelines;
using CriShim.Oci.IO;

namespace CriShim.Images;

/// <summary>
/// What a layer download writes: each chunk goes to the blob (the content store's verifying sink, which refuses bytes
/// past the declared size before they go anywhere) and then to the unpacker's pipe, so one pass over the network
/// both stores and unpacks the layer.
/// </summary>
sealed class TeeStream(Stream blob, PipeWriter unpacker) : ForwardOnlyStream
{
    public override bool CanRead => false;
    public override bool CanWrite => true;
    public override void Flush() => blob.Flush();
    public override Task FlushAsync(CancellationToken ct) => blob.FlushAsync(ct);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        await blob.WriteAsync(buffer, ct);
        // waits while the unpacker is a pipe's worth behind; a completed reader (the unpacker failed) is the
        // download's to notice through its cancellation
        await unpacker.WriteAsync(buffer, ct);
    }

    // No Dispose override: what it wraps is the caller's, and Stream's own Dispose leaves it alone.
}
