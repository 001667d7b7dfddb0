using System.Diagnostics;
using CriShim.Oci.Runc;

namespace CriShim.Tests.Unit.Oci;

/// <summary>The runc start stand-in: reads init's byte from exec.fifo and removes the fifo; anything else is left to runc.</summary>
public class ExecFifoTests
{
    static string MakeFifo(TempDir dir)
    {
        var path = dir.Combine(ExecFifo.FileName);
        using var mk = Process.Start("mkfifo", [path]);
        mk.WaitForExit();
        Assert.That(mk.ExitCode, Is.Zero);
        return path;
    }

    [Test]
    public async Task A_writer_that_waits_on_the_fifo_gets_through_and_the_fifo_is_removed()
    {
        using var dir = new TempDir();
        var fifo = MakeFifo(dir);
        // Stands for runc init: opening the fifo for writing blocks until a reader comes, then it writes its byte.
        using var init = Process.Start("/bin/sh", ["-c", "printf 0 > \"$0\"; sleep 5", fifo]);
        try
        {
            Assert.That(await ExecFifo.TryStartAsync(fifo, init.Id, CancellationToken.None), Is.True);
            Assert.That(File.Exists(fifo), Is.False, "runc reports running once the fifo is gone");
        }
        finally { init.Kill(); await init.WaitForExitAsync(); }
    }

    [Test]
    public async Task No_fifo_or_no_pid_is_left_to_runc_start()
    {
        using var dir = new TempDir();
        Assert.That(await ExecFifo.TryStartAsync(dir.Combine(ExecFifo.FileName), Environment.ProcessId, CancellationToken.None), Is.False);
        var fifo = MakeFifo(dir);
        Assert.That(await ExecFifo.TryStartAsync(fifo, null, CancellationToken.None), Is.False);
        Assert.That(File.Exists(fifo), Is.True);
    }

    [Test]
    public async Task An_init_that_is_gone_without_writing_is_left_to_runc_start_and_the_fifo_kept()
    {
        using var dir = new TempDir();
        var fifo = MakeFifo(dir);
        using var gone = Process.Start("/bin/true")!;
        await gone.WaitForExitAsync();
        var started = ExecFifo.TryStartAsync(fifo, gone.Id, CancellationToken.None);
        Assert.That(await Task.WhenAny(started, Task.Delay(TimeSpan.FromSeconds(5))), Is.SameAs(started), "does not wait for a writer that never comes");
        Assert.That(await started, Is.False);
        Assert.That(File.Exists(fifo), Is.True);
    }
}
