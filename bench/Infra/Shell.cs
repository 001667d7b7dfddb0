using System.Diagnostics;

namespace CriShim.Bench.Infra;

/// <summary>Runs short commands to completion and daemons detached in their own session.</summary>
static class Shell
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public Result EnsureSuccess(string what) =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{what} failed ({ExitCode}): {StdErr.Trim()} {StdOut.Trim()}".Trim());
    }

    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, CancellationToken ct = default, string? workDir = null,
        IReadOnlyDictionary<string, string>? env = null, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            RedirectStandardInput = stdin is not null,
            WorkingDirectory = workDir ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin.AsMemory(), ct);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        try { await p.WaitForExitAsync(ct); }
        catch (OperationCanceledException) { try { p.Kill(true); } catch { } throw; }
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>First line of `file args`, or "unknown" when the tool is missing.</summary>
    public static async Task<string> FirstLineAsync(string file, params string[] args)
    {
        try
        {
            var r = await RunAsync(file, args);
            var line = (r.StdOut + r.StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return line?.Trim() ?? "unknown";
        }
        catch { return "unknown"; }
    }

    /// <summary>
    /// Starts a daemon in a session of its own (so a Ctrl-C on the terminal reaches only the harness, which
    /// then tears the daemon down in order), with stdout and stderr appended to a log file. Returns its pid.
    /// </summary>
    public static int StartDaemon(string file, IReadOnlyList<string> args, string logFile)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false };
        // setsid execs in place (the child of .NET is not a group leader), and sh execs the daemon: one pid.
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$BENCH_LOG\" 2>&1 </dev/null");
        psi.ArgumentList.Add(file);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["BENCH_LOG"] = logFile;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        return p.Id;
    }

    /// <summary>SIGTERM, then SIGKILL after the grace period; waits until the process is gone.</summary>
    public static async Task StopDaemonAsync(int pid, TimeSpan grace)
    {
        if (pid <= 0 || !Native.IsAlive(pid)) return;
        Native.Signal(pid, Native.SIGTERM);
        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline && ProcFs.IsRunning(pid)) await Task.Delay(50);
        if (ProcFs.IsRunning(pid)) Native.Signal(pid, Native.SIGKILL);
        for (var i = 0; i < 100 && ProcFs.IsRunning(pid); i++) await Task.Delay(50);
    }
}
