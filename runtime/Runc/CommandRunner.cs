using System.Diagnostics;

namespace CriShim.Oci.Runc;

/// <summary>Outcome of one finished child process.</summary>
public sealed record CommandResult(int ExitCode, byte[] Stdout, byte[] Stderr, bool OutputTruncated = false)
{
    public string StdoutText => System.Text.Encoding.UTF8.GetString(Stdout);
    public string StderrText => System.Text.Encoding.UTF8.GetString(Stderr);
}

/// <summary>What to run and how: arguments are passed as a list, never through a shell.</summary>
public sealed record CommandSpec(string FileName, IReadOnlyList<string> Arguments)
{
    public byte[]? Stdin { get; init; }
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
    public string? WorkingDirectory { get; init; }
    public TimeSpan? Timeout { get; init; }
    /// <summary>Bytes kept per stream; the rest is read and dropped so the child never blocks on a full pipe.</summary>
    public int MaxOutputBytes { get; init; } = 16 * 1024 * 1024;
    /// <summary>How long to keep reading after the child exited: a grandchild may hold the pipe open forever.</summary>
    public TimeSpan DrainAfterExit { get; init; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>Runs child processes asynchronously: cancellation or timeout kills the child, and the child is always reaped.</summary>
public static class CommandRunner
{
    public static async Task<CommandResult> RunAsync(CommandSpec spec, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in spec.Arguments) psi.ArgumentList.Add(a);
        if (spec.WorkingDirectory is not null) psi.WorkingDirectory = spec.WorkingDirectory;
        if (spec.Environment is not null)
            foreach (var (k, v) in spec.Environment) psi.Environment[k] = v;

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FileNotFoundException($"cannot run {spec.FileName}: {e.Message}", spec.FileName, e);
        }

        using var readCts = new CancellationTokenSource();
        var stdout = new CappedBuffer(spec.MaxOutputBytes);
        var stderr = new CappedBuffer(spec.MaxOutputBytes);
        var outTask = PumpAsync(process.StandardOutput.BaseStream, stdout, readCts.Token);
        var errTask = PumpAsync(process.StandardError.BaseStream, stderr, readCts.Token);
        var inTask = WriteStdinAsync(process, spec.Stdin);

        using var timeoutCts = spec.Timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutCts.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            KillAndReap(process);
            readCts.Cancel();
            await Task.WhenAll(Quiet(outTask), Quiet(errTask), Quiet(inTask));
            if (ct.IsCancellationRequested) throw new OperationCanceledException(ct);
            throw new TimeoutException($"{Path.GetFileName(spec.FileName)} {string.Join(' ', spec.Arguments.Take(3))} timed out after {spec.Timeout}");
        }

        var readers = Task.WhenAll(outTask, errTask);
        if (await Task.WhenAny(readers, Task.Delay(spec.DrainAfterExit, CancellationToken.None)) != readers)
            readCts.Cancel();
        await Task.WhenAll(Quiet(outTask), Quiet(errTask), Quiet(inTask));
        return new CommandResult(process.ExitCode, stdout.ToArray(), stderr.ToArray(), stdout.Truncated || stderr.Truncated);
    }

    /// <summary>Kills the child (not its descendants: they may be containers) and waits so no zombie remains.</summary>
    public static void KillAndReap(Process process)
    {
        try { if (!process.HasExited) process.Kill(); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception) { }
        try { process.WaitForExit(10_000); } catch (InvalidOperationException) { }
    }

    private static async Task WriteStdinAsync(Process process, byte[]? data)
    {
        try
        {
            if (data is { Length: > 0 })
                await process.StandardInput.BaseStream.WriteAsync(data);
        }
        catch (IOException) { } // the child exited without reading its input
        finally
        {
            try { process.StandardInput.Close(); } catch (IOException) { }
        }
    }

    internal static async Task PumpAsync(Stream source, CappedBuffer sink, CancellationToken ct)
    {
        var buf = new byte[81920];
        try
        {
            int n;
            while ((n = await source.ReadAsync(buf, ct)) > 0)
                sink.Write(buf.AsSpan(0, n));
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
    }

    private static async Task Quiet(Task t)
    {
        try { await t; } catch { /* reported elsewhere */ }
    }
}

/// <summary>A growable buffer that keeps at most a fixed number of bytes and remembers it dropped some.</summary>
internal sealed class CappedBuffer(int max)
{
    private readonly MemoryStream _ms = new();
    private readonly object _gate = new();
    public bool Truncated { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            var room = max - (int)_ms.Length;
            if (data.Length > room) { Truncated = true; data = data[..Math.Max(0, room)]; }
            _ms.Write(data);
        }
    }

    public byte[] ToArray()
    {
        lock (_gate) return _ms.ToArray();
    }
}
