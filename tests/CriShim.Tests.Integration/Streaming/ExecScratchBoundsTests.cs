using CriShim.Tests.Integration.Support;
using CriShim.Streaming;
using static CriShim.Tests.Integration.Streaming.StreamingFixture;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>An interactive exec's output travels over conmon's attach socket only: nothing of it accumulates in the
/// session's scratch directory (under state, a tmpfs: RAM), however long the process prints.</summary>
public class ExecScratchBoundsTests
{
    [Test]
    public async Task Endless_exec_output_streams_to_the_client_without_growing_the_scratch_directory()
    {
        var url = Server.UrlFor(new ExecStreamRequest(Container, ["yes"], false, false, true, false));
        await using var client = await SpdyTestClient.ConnectAsync(url, "v4.channel.k8s.io");
        var error = await client.OpenAsync(("streamType", "error"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));

        var scratch = Path.Combine(Dir, "exec");
        var buffer = new byte[1 << 16];
        long received = 0, maxScratch = 0;
        var until = DateTime.UtcNow.AddSeconds(4);
        while (DateTime.UtcNow < until)
        {
            var n = await stdout.ReadAsync(buffer);
            if (n == 0) break;
            received += n;
            maxScratch = Math.Max(maxScratch, DiskUsage.FileBytesUnder(scratch));
        }
        TestContext.Progress.WriteLine($"interactive yes for 4 s: {received} bytes streamed, scratch at most {maxScratch} bytes");

        Assert.That(received, Is.GreaterThan(8 << 20), "yes should have streamed megabytes");
        Assert.That(maxScratch, Is.LessThan(1 << 20), "bytes in the exec's scratch directory while it ran");
    }
}
