using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using CriShim.Oci.Exec;
using CriShim.Oci.IO;
using CriShim.Streaming.RemoteCommand;

namespace CriShim.Tests.Unit.Streaming;

public class ResizeMessageReaderTests
{
    static ResizeMessageReader Over(string text, int max = 64) => new(new MemoryStream(Encoding.ASCII.GetBytes(text)), max);

    [Test]
    public async Task Values_one_after_another_come_back_as_sizes_until_the_end()
    {
        var reader = Over("{\"Width\":80,\"Height\":24}\n{\"width\":120,\"height\":40}");
        Assert.That(await reader.ReadAsync(default), Is.EqualTo(new TerminalSize(80, 24)));
        Assert.That(await reader.ReadAsync(default), Is.EqualTo(new TerminalSize(120, 40)));
        Assert.That(await reader.ReadAsync(default), Is.Null);
    }

    [Test]
    public async Task A_value_split_across_writes_is_put_together()
    {
        var pipe = new Pipe();
        var reader = new ResizeMessageReader(pipe.Reader.AsStream(), 64);
        var reading = reader.ReadAsync(default).AsTask();
        await pipe.Writer.WriteAsync("{\"Width\":1"u8.ToArray());
        await Task.Delay(50);
        Assert.That(reading.IsCompleted, Is.False);
        await pipe.Writer.WriteAsync("0,\"Height\":2}"u8.ToArray());
        Assert.That(await reading.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(new TerminalSize(10, 2)));
    }

    [Test]
    public void A_value_over_the_limit_is_refused_without_reading_it_all()
    {
        var endless = new RepeatingStream("{\"Width\":1,\"Height\":1,\"Pad\":\""u8.ToArray(), (byte)'x');
        var reader = new ResizeMessageReader(endless, 4096);
        var e = Assert.ThrowsAsync<ResizeMessageTooLargeException>(() => reader.ReadAsync(default).AsTask());
        Assert.That(e!.Message, Does.Contain("maxResizeMessageSize"));
        Assert.That(endless.Served, Is.LessThanOrEqualTo(4096));
    }

    [Test]
    public void A_value_that_is_not_a_size_is_a_json_error()
    {
        Assert.CatchAsync<JsonException>(() => Over("[1,2] ").ReadAsync(default).AsTask());
    }

    /// <summary>A prefix, then one byte forever.</summary>
    sealed class RepeatingStream(byte[] prefix, byte filler) : ForwardOnlyStream
    {
        public long Served { get; private set; }
        public override bool CanRead => true;
        public override bool CanWrite => false;
        public override int Read(Span<byte> buffer)
        {
            for (var i = 0; i < buffer.Length; i++) buffer[i] = Served + i < prefix.Length ? prefix[Served + i] : filler;
            Served += buffer.Length;
            return buffer.Length;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => new(Read(buffer.Span));
    }
}
