using System.Buffers;

namespace CriShim.Oci.IO;

/// <summary>
/// A stream that is read or written front to back and never positioned: a socket channel, a pipe's end, a hashing
/// wrapper. A subclass states <see cref="CanRead"/> and <see cref="CanWrite"/> and overrides the core of each
/// direction it supports — <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> and
/// <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, plus the span overloads when it has a real
/// synchronous path; every array overload routes to those, and a synchronous call on an async-only stream blocks on
/// the async core. Length, Position, Seek and SetLength are not supported; a direction not overridden throws
/// <see cref="NotSupportedException"/>.
/// </summary>
public abstract class ForwardOnlyStream : Stream
{
    public abstract override bool CanRead { get; }
    public abstract override bool CanWrite { get; }
    public sealed override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public sealed override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public sealed override void SetLength(long value) => throw new NotSupportedException();

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken ct)
    {
        if (ct.IsCancellationRequested) return Task.FromCanceled(ct);
        Flush();
        return Task.CompletedTask;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
        ValueTask.FromException<int>(new NotSupportedException());

    public sealed override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public sealed override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var n = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) =>
        ValueTask.FromException(new NotSupportedException());

    public sealed override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public sealed override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(rented);
            WriteAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }
}
