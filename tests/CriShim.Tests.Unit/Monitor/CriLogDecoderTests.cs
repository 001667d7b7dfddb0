using System.Text;
using CriShim.Oci.Monitor;

namespace CriShim.Tests.Unit.Monitor;

public sealed class CriLogDecoderTests
{
    const string Log = "2024-05-01T10:20:30.1Z stdout F hello\n2024-05-01T10:20:30.2Z stderr P oo\n"
                       + "2024-05-01T10:20:30.3Z stderr F ps\n2024-05-01T10:20:30.4Z stdout P tail";

    [Test]
    public void Chunks_cut_anywhere_decode_like_the_whole_log()
    {
        var bytes = Encoding.UTF8.GetBytes(Log);
        for (var size = 1; size <= bytes.Length; size++)
        {
            var decoder = new CriLogDecoder(int.MaxValue);
            foreach (var chunk in bytes.Chunk(size)) decoder.Write(chunk);
            decoder.Complete();
            Assert.That(Encoding.UTF8.GetString(decoder.Stdout), Is.EqualTo("hello\ntail"), $"chunks of {size}");
            Assert.That(Encoding.UTF8.GetString(decoder.Stderr), Is.EqualTo("oops\n"), $"chunks of {size}");
            Assert.That(decoder.Truncated, Is.False);
        }
    }

    [Test]
    public void Endless_output_keeps_exactly_the_budget_and_says_it_was_truncated()
    {
        const int budget = 1 << 20;
        var decoder = new CriLogDecoder(budget);
        var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("2024-05-01T10:20:30.000000001Z stdout F y\n", 1000)));
        for (var i = 0; i < 2000; i++) decoder.Write(chunk); // 2 million lines, 4 MB of content
        decoder.Complete();
        Assert.That(decoder.Stdout, Has.Length.EqualTo(budget));
        Assert.That(decoder.Stdout.Distinct(), Is.EquivalentTo("y\n"u8.ToArray()));
        Assert.That(decoder.Stderr, Is.Empty);
        Assert.That(decoder.Truncated, Is.True);
    }

    [Test]
    public void Output_that_exactly_fills_the_budget_is_not_truncated()
    {
        var decoder = new CriLogDecoder(6);
        decoder.Write("2024-05-01T10:20:30Z stdout F abcde\n"u8);
        decoder.Complete();
        Assert.That(Encoding.UTF8.GetString(decoder.Stdout), Is.EqualTo("abcde\n"));
        Assert.That(decoder.Truncated, Is.False);
    }

    [Test]
    public void A_line_longer_than_conmon_ever_writes_is_dropped_and_the_next_one_kept()
    {
        var decoder = new CriLogDecoder(int.MaxValue);
        decoder.Write(Encoding.ASCII.GetBytes("2024-05-01T10:20:30Z stdout P " + new string('x', CriLogDecoder.MaxLineBytes)));
        decoder.Write("\n2024-05-01T10:20:30Z stdout F ok\n"u8);
        decoder.Complete();
        Assert.That(Encoding.UTF8.GetString(decoder.Stdout), Is.EqualTo("ok\n"));
    }
}
