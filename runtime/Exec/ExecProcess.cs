using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace CriShim.Runtime.Exec;

/// <summary>
/// A process started in a running container with `runc exec` (not detached, so runc's exit code is the
/// process's). Without a terminal, its stdio are pipes runc hands to the process. With one, runc allocates the
/// container-side pty and relays it to its own stdio, which is the slave of a pty we own: resizing is
/// TIOCSWINSZ on our master plus SIGWINCH to runc, which copies the size inward. (runc refuses
/// --console-socket unless it detaches, and a detached exec's exit code is lost to whoever reaps it.)
/// <see cref="Kill"/> — and disposal before exit — SIGKILLs the process in the container by the pid runc
/// recorded, so a vanished client leaves nothing running.
/// </summary>
public sealed class ExecProcess : IAsyncDisposable
{
    readonly Process _runc;
    readonly ExecSpec _spec;
    readonly ILogger _log;
    readonly Pty? _pty;
    readonly string _pidFile;
    int _disposed;

    ExecProcess(ExecSpec spec, Process runc, Pty? pty, ILogger log)
    {
        _spec = spec;
        _runc = runc;
        _pty = pty;
        _log = log;
        _pidFile = PidFile(spec);
        if (pty is not null)
        {
            var writeFd = ExecNative.dup((int)pty.Master.DangerousGetHandle());
            if (writeFd < 0) throw ExecNative.Error("dup of the pty master");
            Stdout = new FileStream(new SafeFileHandle(ExecNative.dup((int)pty.Master.DangerousGetHandle()), true), FileAccess.Read, bufferSize: 0);
            var stdin = new FileStream(new SafeFileHandle(writeFd, true), FileAccess.Write, bufferSize: 0);
            if (spec.Stdin) Stdin = stdin;
            else stdin.Dispose();
        }
        else
        {
            Stdout = runc.StandardOutput.BaseStream;
            Stderr = runc.StandardError.BaseStream;
            if (spec.Stdin) Stdin = runc.StandardInput.BaseStream;
            else runc.StandardInput.Close();
        }
    }

    /// <summary>Writable stdin, or null when not requested.</summary>
    public Stream? Stdin { get; }
    /// <summary>The process's stdout; with a terminal, the terminal's output (stdout and stderr merged).</summary>
    public Stream Stdout { get; }
    /// <summary>The process's stderr; null with a terminal.</summary>
    public Stream? Stderr { get; }
    public bool Tty => _pty is not null;

    static string PidFile(ExecSpec spec) => Path.Combine(spec.ScratchDir, "exec.pid");

    public static Task<ExecProcess> StartAsync(ExecSpec spec, ILogger log, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (spec.Command.Count == 0) throw new ArgumentException("exec needs a command");
        Directory.CreateDirectory(spec.ScratchDir);
        var runcArgs = new List<string> { spec.RuncBinary, "--root", spec.RuncRoot, "exec", "--pid-file", PidFile(spec) };
        if (spec.Tty) runcArgs.Add("--tty");
        runcArgs.Add(spec.ContainerId);
        runcArgs.AddRange(spec.Command);

        var psi = new ProcessStartInfo { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        Pty? pty = null;
        if (spec.Tty)
        {
            pty = Pty.Open();
            // Process.Start only offers pipes for stdio: a shell opens the pty slave as runc's stdio, then becomes runc.
            psi.FileName = "/bin/sh";
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("exec \"$@\" <\"$CRISHIM_EXEC_TTY\" >\"$CRISHIM_EXEC_TTY\" 2>&1");
            psi.ArgumentList.Add("sh");
            psi.Environment["CRISHIM_EXEC_TTY"] = pty.SlavePath;
        }
        else
        {
            psi.FileName = runcArgs[0];
            runcArgs.RemoveAt(0);
        }
        foreach (var arg in runcArgs) psi.ArgumentList.Add(arg);

        try
        {
            var runc = Process.Start(psi) ?? throw new IOException($"could not start {spec.RuncBinary}");
            log.LogDebug("runc exec {ContainerId} {Command} tty={Tty} pid={Pid}", spec.ContainerId, spec.Command, spec.Tty, runc.Id);
            if (pty is not null)
            {
                runc.StandardInput.Close();
                _ = runc.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                _ = runc.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
            }
            return Task.FromResult(new ExecProcess(spec, runc, pty, log));
        }
        catch
        {
            pty?.Dispose();
            throw;
        }
    }

    /// <summary>Sets the terminal's size; ignored without a terminal.</summary>
    public void Resize(TerminalSize size)
    {
        if (_pty is null || size.Width == 0 || size.Height == 0) return;
        try
        {
            _pty.Resize(size);
            if (!_runc.HasExited) ExecNative.kill(_runc.Id, ExecNative.SIGWINCH);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            _log.LogDebug("resizing the exec terminal failed: {Error}", e.Message);
        }
    }

    /// <summary>Waits for the process to end; the result is its exit code (128+n when killed by signal n).</summary>
    public async Task<int> WaitForExitAsync(CancellationToken ct)
    {
        await _runc.WaitForExitAsync(ct);
        // runc and the process are gone: release our slave so the master reads to its end.
        _pty?.ReleaseSlave();
        // No pid file: runc failed before starting the process (its message went to the client's stderr or terminal).
        if (_runc.ExitCode != 0 && !File.Exists(_pidFile))
            throw new IOException($"runc exec in {_spec.ContainerId} failed (exit {_runc.ExitCode}) before starting the process");
        return _runc.ExitCode;
    }

    /// <summary>SIGKILLs the process in the container (by the pid runc wrote) and runc.</summary>
    public void Kill()
    {
        try
        {
            if (File.Exists(_pidFile) && int.TryParse(File.ReadAllText(_pidFile).Trim(), out var pid) && pid > 0)
                ExecNative.kill(pid, ExecNative.SIGKILL);
        }
        catch (IOException) { }
        try { if (!_runc.HasExited) _runc.Kill(); } catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        bool exited;
        try { exited = _runc.HasExited; } catch (InvalidOperationException) { exited = true; }
        if (!exited)
        {
            Kill();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _runc.WaitForExitAsync(grace.Token); }
            catch (OperationCanceledException) { _log.LogWarning("runc exec in {ContainerId} did not exit after SIGKILL", _spec.ContainerId); }
        }
        foreach (var stream in new[] { Stdin, Stdout, Stderr })
            try { stream?.Dispose(); } catch (IOException) { }
        _pty?.Dispose();
        _runc.Dispose();
        try { Directory.Delete(_spec.ScratchDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
