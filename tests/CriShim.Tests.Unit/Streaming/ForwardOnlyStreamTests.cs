using CriShim.Oci.IO;

namespace CriShim.Tests.Unit.Streaming;

public class ForwardOnlyStreamTests
{
    /// <summary>Async-only in both directions, as the socket-backed streams are.</summary>
    sealed class AsyncOnlyPipe : ForwardOnlyStream
    {
        readonly MemoryStream _written = new();
        readonly MemoryStream _toRead;
        public AsyncOnlyPipe(byte[] toRead) => _toRead = new MemoryStream(toRead);
        public byte[] Written => _written.ToArray();
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            await Task.Yield();
            return _toRead.Read(buffer.Span);
        }
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            await Task.Yield();
            _written.Write(buffer.Span);
        }
    }

    sealed class WriteOnly : ForwardOnlyStream
    {
        public override bool CanRead => false;
        public override bool CanWrite => true;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => ValueTask.CompletedTask;
    }

    [Test]
    public void Synchronous_and_array_calls_reach_the_async_core()
    {
        var stream = new AsyncOnlyPipe([1, 2, 3, 4, 5]);
        var buffer = new byte[8];

        Assert.That(stream.Read(buffer, 1, 2), Is.EqualTo(2));
        Assert.That(buffer[1..3], Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(stream.ReadAsync(buffer, 0, 8).GetAwaiter().GetResult(), Is.EqualTo(3));
        Assert.That(buffer[..3], Is.EqualTo(new byte[] { 3, 4, 5 }));

        stream.Write([9, 8, 7], 1, 2);
        stream.WriteAsync([6], 0, 1).GetAwaiter().GetResult();
        stream.WriteByte(5);
        Assert.That(stream.Written, Is.EqualTo(new byte[] { 8, 7, 6, 5 }));
    }

    [Test]
    public async Task CopyTo_reads_the_stream_to_its_end()
    {
        var target = new MemoryStream();
        await new AsyncOnlyPipe([1, 2, 3]).CopyToAsync(target);
        Assert.That(target.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void Positioning_and_the_missing_direction_are_not_supported()
    {
        var stream = new WriteOnly();
        Assert.That(stream.CanSeek, Is.False);
        Assert.Throws<NotSupportedException>(() => _ = stream.Length);
        Assert.Throws<NotSupportedException>(() => _ = stream.Position);
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(1));
        Assert.Throws<NotSupportedException>(() => stream.ReadExactly(new byte[1], 0, 1));
        Assert.ThrowsAsync<NotSupportedException>(async () => await stream.ReadExactlyAsync(new byte[1]));
    }
}
