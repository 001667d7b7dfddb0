using CriShim.Tests.Integration.Support;
using CriShim.Oci.Monitor;
using Grpc.Core;

namespace CriShim.Tests.Integration.Lifecycle;

/// <summary>
/// ExecSync of a process that prints without end: the answer holds at most <see cref="ContainerMonitor.MaxExecOutputBytes"/>
/// (stdout and stderr together, so it fits one 16 MiB gRPC message), and neither the state directory (a tmpfs in
/// production: RAM) nor the daemon's memory grows with what the process prints.
/// </summary>
[TestFixture]
public class ExecOutputBoundsTests : LifecycleFixture
{
    const int Cap = ContainerMonitor.MaxExecOutputBytes;

    [Test]
    public async Task Output_beyond_the_cap_is_truncated_to_the_cap_and_still_answered()
    {
        var id = await SleeperAsync("big");

        var response = await ExecAsync(id, 120, "sh", "-c", "yes | head -c 40000000");

        Assert.That(response.ExitCode, Is.EqualTo(0));
        Assert.That(response.Stdout.Length, Is.EqualTo(Cap));
        Assert.That(response.Stdout.Span.IndexOfAnyExcept("y\n"u8), Is.EqualTo(-1), "the kept output is the start of yes's output");
        Assert.That(response.Stdout.Span[..4].ToArray(), Is.EqualTo("y\ny\n"u8.ToArray()));
    }

    [Test]
    public async Task Stdout_and_stderr_share_the_cap()
    {
        var id = await SleeperAsync("both");

        var response = await ExecAsync(id, 120, "sh", "-c", "yes out | head -c 12000000; yes err | head -c 12000000 >&2");

        Assert.That(response.ExitCode, Is.EqualTo(0));
        Assert.That(response.Stdout.Length, Is.EqualTo(12000000));
        Assert.That(response.Stdout.Length + response.Stderr.Length, Is.EqualTo(Cap));
    }

    [Test]
    public async Task Endless_output_until_the_timeout_keeps_state_and_daemon_memory_bounded()
    {
        var id = await SleeperAsync("yes");
        await ExecTextAsync(id, "true"); // warm: the first exec allocates what every exec needs
        var rssBefore = RssBytes(Daemon.Pid);
        var stateBefore = DiskUsage.FileBytesUnder(Daemon.State);

        var exec = ExecAsync(id, 6, "yes");
        long maxState = 0, maxRss = 0;
        while (!exec.IsCompleted)
        {
            maxState = Math.Max(maxState, DiskUsage.FileBytesUnder(Daemon.State) - stateBefore);
            maxRss = Math.Max(maxRss, RssBytes(Daemon.Pid) - rssBefore);
            await Task.WhenAny(exec, Task.Delay(200));
        }
        var code = await CodeOf(() => exec);
        maxRss = Math.Max(maxRss, RssBytes(Daemon.Pid) - rssBefore);
        TestContext.Progress.WriteLine($"yes for 6 s: state grew at most {maxState} bytes, daemon RSS at most {maxRss / 1048576.0:F1} MiB");

        Assert.That(code, Is.EqualTo(StatusCode.DeadlineExceeded));
        Assert.That(maxState, Is.LessThan(1 << 20), "bytes the exec left under state while it ran");
        Assert.That(maxRss, Is.LessThan(3L * Cap + (32 << 20)), "daemon RSS growth: the capped output and its copies, not what yes printed");
        Assert.That((await ExecAsync(id, 10, "echo", "still fine")).Stdout.ToStringUtf8(), Is.EqualTo("still fine\n"));
    }

    async Task<string> SleeperAsync(string prefix)
    {
        var (pod, config) = await RunPodAsync(Unique(prefix));
        return await StartAsync(pod, config, ContainerConfig("c", "sleep", "1000"));
    }

    static long RssBytes(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
}
