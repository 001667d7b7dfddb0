using System.Security.Cryptography;
using CriShim.Oci.IO;

namespace CriShim.Images;

/// <summary>
/// The uncompressed tar as the reader sees it: hashed (for the diff ID), counted against the layer's size cap (a
/// decompression bomb stops at the first byte over it), and, while <see cref="BeginCapture"/> is on, the last bytes
/// kept so the raw PAX header of an entry can be read again (System.Formats.Tar only gives it decoded as UTF-8), and
/// every header block checked so no PAX or GNU long-name header over <see cref="MaxMetadataBytes"/> is read whole
/// into memory (the reader would allocate what it declares, up to 2 GiB).
/// </summary>
sealed class MeteredTarStream(Stream inner, IncrementalHash hash, long maxBytes) : ForwardOnlyStream
{
    /// <summary>Enough for any PAX header whose raw values we re-read, plus the entry header after it.</summary>
    public const int CaptureWindow = MaxMetadataBytes + 1024;
    /// <summary>As Go's archive/tar (which builds most layers) bounds them.</summary>
    public const int MaxMetadataBytes = 1024 * 1024;
    const int Block = 512;
    readonly MemoryStream _capture = new();
    bool _capturing;
    long _captureStart;
    long _checkedUpTo;

    public long BytesRead { get; private set; }
    public override bool CanRead => true;
    public override bool CanWrite => false;

    public void BeginCapture()
    {
        _capture.SetLength(0);
        _captureStart = BytesRead;
        _checkedUpTo = (BytesRead + Block - 1) / Block * Block;
        _capturing = true;
    }

    /// <summary>The bytes read since <see cref="BeginCapture"/> (at most the last <see cref="CaptureWindow"/>).</summary>
    public ReadOnlyMemory<byte> EndCapture()
    {
        _capturing = false;
        return _capture.GetBuffer().AsMemory(0, (int)_capture.Length);
    }

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        Account(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var n = await inner.ReadAsync(buffer, ct);
        Account(buffer.Span[..n]);
        return n;
    }

    void Account(ReadOnlySpan<byte> data)
    {
        BytesRead += data.Length;
        if (BytesRead > maxBytes)
            throw new ImageException(ImageErrorKind.TooLarge,
                $"layer unpacks to more than {ByteSize.Format(maxBytes)}, the limit on a layer's uncompressed size (images.maxLayerBytes)");
        hash.AppendData(data);
        if (!_capturing) return;
        _capture.Write(data);
        CheckHeaderBlocks();
        if (_capture.Length <= 2 * CaptureWindow) return;
        // keep only the tail: what precedes an entry's own headers (skipped data) is never needed
        var buffer = _capture.GetBuffer();
        var keep = CaptureWindow;
        Buffer.BlockCopy(buffer, (int)_capture.Length - keep, buffer, 0, keep);
        _capture.SetLength(keep);
        _captureStart = BytesRead - keep;
    }

    /// <summary>Looks at each 512-byte block read while the reader looks for the next entry, before it reads on.</summary>
    void CheckHeaderBlocks()
    {
        var buffer = _capture.GetBuffer();
        for (; _checkedUpTo + Block <= BytesRead; _checkedUpTo += Block)
        {
            var block = buffer.AsSpan((int)(_checkedUpTo - _captureStart), Block);
            if (PaxHeaderScanner.IsMetadataHeader(block, out var size) && size > MaxMetadataBytes)
                throw new ImageException(ImageErrorKind.TooLarge,
                    $"layer has a {size}-byte PAX or long-name header, over {ByteSize.Format(MaxMetadataBytes)}, the limit on tar metadata headers");
        }
    }
}

/// <summary>Replays a few peeked bytes, then the rest of the stream.</summary>
sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : ForwardOnlyStream
{
    int _offset;
    public override bool CanRead => true;
    public override bool CanWrite => false;

    public override int Read(Span<byte> buffer)
    {
        if (_offset < prefix.Length)
        {
            var n = Math.Min(buffer.Length, prefix.Length - _offset);
            prefix.Span.Slice(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }
        return rest.Read(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_offset < prefix.Length) return Read(buffer.Span);
        return await rest.ReadAsync(buffer, ct);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) rest.Dispose();
        base.Dispose(disposing);
    }
}
