using System.Runtime.InteropServices;

namespace CriShim.Streaming.Spdy;

/// <summary>
/// One direction's SPDY header compression context: a single zlib stream primed with the SPDY/3 dictionary
/// that lives as long as the connection, each header block ended with a sync flush (the peer inflates blocks
/// as they come). The z_stream sits in unmanaged memory because zlib keeps a pointer back to it.
/// </summary>
sealed class HeaderDeflater : IDisposable
{
    readonly IntPtr _stream = AllocStream();
    readonly Lock _lock = new();
    bool _disposed;

    public HeaderDeflater()
    {
        Check(ZLibNative.DeflateInit(_stream, ZLibNative.BestCompression, ZLibNative.Version(), ZLibNative.StreamSize));
        Check(ZLibNative.DeflateSetDictionary(_stream, SpdyDictionary.Bytes, (uint)SpdyDictionary.Bytes.Length));
    }

    public byte[] Compress(ReadOnlySpan<byte> block)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var input = block.ToArray();
            var output = new MemoryStream();
            var chunk = new byte[Math.Max(256, input.Length + 64)];
            var inHandle = GCHandle.Alloc(input, GCHandleType.Pinned);
            var outHandle = GCHandle.Alloc(chunk, GCHandleType.Pinned);
            try
            {
                Marshal.WriteIntPtr(_stream, ZLibNative.NextIn, inHandle.AddrOfPinnedObject());
                Marshal.WriteInt32(_stream, ZLibNative.AvailIn, input.Length);
                while (true)
                {
                    Marshal.WriteIntPtr(_stream, ZLibNative.NextOut, outHandle.AddrOfPinnedObject());
                    Marshal.WriteInt32(_stream, ZLibNative.AvailOut, chunk.Length);
                    var rc = ZLibNative.Deflate(_stream, ZLibNative.SyncFlush);
                    if (rc is not (ZLibNative.Ok or ZLibNative.BufError)) Check(rc);
                    var produced = chunk.Length - Marshal.ReadInt32(_stream, ZLibNative.AvailOut);
                    output.Write(chunk, 0, produced);
                    // A sync flush is complete when deflate leaves output space unused.
                    if (Marshal.ReadInt32(_stream, ZLibNative.AvailOut) != 0) break;
                }
            }
            finally
            {
                Marshal.WriteIntPtr(_stream, ZLibNative.NextIn, IntPtr.Zero);
                Marshal.WriteIntPtr(_stream, ZLibNative.NextOut, IntPtr.Zero);
                inHandle.Free();
                outHandle.Free();
            }
            return output.ToArray();
        }
    }

    void Check(int rc)
    {
        if (rc != ZLibNative.Ok) throw new InvalidDataException(ZLibNative.Message(_stream, rc));
    }

    internal static IntPtr AllocStream()
    {
        var p = Marshal.AllocHGlobal(ZLibNative.StreamSize);
        for (var i = 0; i < ZLibNative.StreamSize; i += 8) Marshal.WriteInt64(p, i, 0);
        return p;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            ZLibNative.DeflateEnd(_stream);
            Marshal.FreeHGlobal(_stream);
        }
    }
}

/// <summary>The receiving side's counterpart of <see cref="HeaderDeflater"/>: supplies the dictionary when zlib asks for it.</summary>
sealed class HeaderInflater : IDisposable
{
    readonly IntPtr _stream = HeaderDeflater.AllocStream();
    readonly Lock _lock = new();
    bool _disposed;

    /// <param name="maxBlock">Header blocks that inflate beyond this are refused: a bound against decompression bombs.</param>
    public HeaderInflater(int maxBlock)
    {
        MaxBlock = maxBlock;
        var rc = ZLibNative.InflateInit(_stream, ZLibNative.Version(), ZLibNative.StreamSize);
        if (rc != ZLibNative.Ok) throw new InvalidDataException(ZLibNative.Message(_stream, rc));
    }

    public int MaxBlock { get; }

    /// <summary>
    /// The inflated block, or null when it would exceed <see cref="MaxBlock"/> (then the context is out of step
    /// with the peer's and the connection must end). Memory used stays below twice the limit whatever the input.
    /// </summary>
    public byte[]? Decompress(ReadOnlySpan<byte> compressed)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var input = compressed.ToArray();
            var output = new MemoryStream();
            var chunk = new byte[(int)Math.Min(Math.Max(1024L, input.Length * 4L), MaxBlock + 1L)];
            var inHandle = GCHandle.Alloc(input, GCHandleType.Pinned);
            var outHandle = GCHandle.Alloc(chunk, GCHandleType.Pinned);
            try
            {
                Marshal.WriteIntPtr(_stream, ZLibNative.NextIn, inHandle.AddrOfPinnedObject());
                Marshal.WriteInt32(_stream, ZLibNative.AvailIn, input.Length);
                while (true)
                {
                    Marshal.WriteIntPtr(_stream, ZLibNative.NextOut, outHandle.AddrOfPinnedObject());
                    Marshal.WriteInt32(_stream, ZLibNative.AvailOut, chunk.Length);
                    var rc = ZLibNative.Inflate(_stream, ZLibNative.SyncFlush);
                    if (rc == ZLibNative.NeedDict)
                    {
                        rc = ZLibNative.InflateSetDictionary(_stream, SpdyDictionary.Bytes, (uint)SpdyDictionary.Bytes.Length);
                        if (rc != ZLibNative.Ok) throw new InvalidDataException(ZLibNative.Message(_stream, rc));
                        continue;
                    }
                    if (rc is not (ZLibNative.Ok or ZLibNative.BufError or ZLibNative.StreamEnd))
                        throw new InvalidDataException(ZLibNative.Message(_stream, rc));
                    var produced = chunk.Length - Marshal.ReadInt32(_stream, ZLibNative.AvailOut);
                    output.Write(chunk, 0, produced);
                    if (output.Length > MaxBlock) return null;
                    var inputLeft = Marshal.ReadInt32(_stream, ZLibNative.AvailIn);
                    if (rc == ZLibNative.StreamEnd || (inputLeft == 0 && produced < chunk.Length)) break;
                    if (rc == ZLibNative.BufError && inputLeft == 0) break;
                }
            }
            finally
            {
                Marshal.WriteIntPtr(_stream, ZLibNative.NextIn, IntPtr.Zero);
                Marshal.WriteIntPtr(_stream, ZLibNative.NextOut, IntPtr.Zero);
                inHandle.Free();
                outHandle.Free();
            }
            return output.ToArray();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            ZLibNative.InflateEnd(_stream);
            Marshal.FreeHGlobal(_stream);
        }
    }
}
