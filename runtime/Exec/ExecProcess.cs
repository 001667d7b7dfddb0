using System.Diagnostics;
using System.IO.Pipelines;
using CriShim.Oci.IO;
using Microsoft.Extensions.Logging;
using CriShim.Oci.Native;
using CriShim.Oci.Runc;

namespace CriShim.Oci.Exec;

/// <summary>
/// A process started in a running container for an interactive exec, through `conmon --exec --exec-attach`
/// (conmon runs `runc exec --detach [--tty]` and, being a subreaper, reaps the process and reports its exit
/// code). Why not a bare `runc exec`: attached, it waits for every holder of its output pipes (a background child
/// keeps the session open forever) and refuses --console-socket; detached, nobody of ours reaps the process.
/// The protocol: conmon reads the start pipe, creates its attach socket and says so on the attach pipe; we
/// connect, write the start pipe again, conmon starts runc and reports the pid, later the exit code, on the sync
/// pipe. Stdio travel over the attach socket (<see cref="ConmonAttachment"/>), resizes over conmon's ctl fifo.
/// Started by <see cref="Monitor.ContainerMonitor.StartExecAsync"/>, which checks the container and builds conmon's
/// command line the way its ExecSync does.
/// </summary>
public sealed class ExecProcess : IAsyncDisposable
{
    /// <summary>One exec session: its private directory (process spec, pid file, conmon's attach socket and fifos),
    /// created here and removed when the process is disposed.</summary>
    internal sealed record Session(string ContainerId, string ScratchDir, string ProcessSpecPath, string PidFile, bool Tty, bool Stdin);

    readonly Session _spec;
    readonly Process _conmon;
    readonly HandoverPipe _sync;
    readonly ConmonAttachment _attachment;
    readonly ILogger _log;
    readonly Task _output;
    readonly int _pid, _pidfd;
    readonly Task<(int Value, string? Message)?> _exit;
    int _disposed;

    ExecProcess(Session spec, Process conmon, HandoverPipe sync, ConmonAttachment attachment, int pid, ILogger log)
    {
        _spec = spec;
        _conmon = conmon;
        _sync = sync;
        _attachment = attachment;
        // conmon reaps the process, and has not yet: the pid is still its own. Pin it with a pidfd so a later kill
        // cannot hit a recycled pid.
        _pid = pid;
        _pidfd = LibC.pidfd_open(pid);
        _log = log;
        var stdout = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 512 << 10, useSynchronizationContext: false));
        var stderr = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 512 << 10, useSynchronizationContext: false));
        Stdout = stdout.Reader.AsStream();
        Stderr = spec.Tty ? null : stderr.Reader.AsStream();
        Stdin = spec.Stdin ? new AttachInput(attachment) : null;
        // A blocking pipe read ignores cancellation: read the exit report once, callers wait on the task.
        _exit = Task.Run(() => sync.ReadMessageAsync(CancellationToken.None));
        _output = Task.Run(async () =>
        {
            try { await attachment.CopyOutputAsync(stdout.Writer.AsStream(), stderr.Writer.AsStream(), CancellationToken.None); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException) { }
            finally
            {
                await stdout.Writer.CompleteAsync();
                await stderr.Writer.CompleteAsync();
            }
        });
    }

    /// <summary>Writable stdin, or null when not requested; disposing it ends the process's stdin.</summary>
    public Stream? Stdin { get; }
    /// <summary>The process's stdout; with a terminal, the terminal's output.</summary>
    public Stream Stdout { get; }
    /// <summary>The process's stderr; null with a terminal.</summary>
    public Stream? Stderr { get; }
    public bool Tty => _spec.Tty;

    /// <summary>Starts conmon (<paramref name="conmon"/>, an absolute path) with <paramref name="args"/> for
    /// <paramref name="spec"/>, whose process spec is <paramref name="processSpec"/>.</summary>
    internal static async Task<ExecProcess> StartAsync(string conmon, IReadOnlyList<string> args, string processSpec, Session spec, ILogger log, CancellationToken ct)
    {
        var session = Path.GetFileName(spec.ScratchDir.TrimEnd('/'));
        Directory.CreateDirectory(spec.ScratchDir);
        try
        {
            await Specs.PrivateFile.WriteAllTextAsync(spec.ProcessSpecPath, processSpec, ct);
            foreach (var dir in new[] { "s", "exits" }) Directory.CreateDirectory(Path.Combine(spec.ScratchDir, dir));
        }
        catch
        {
            TryDelete(spec.ScratchDir);
            throw;
        }

        var start = new HandoverPipe(childWrites: false);
        var attachReady = new HandoverPipe(childWrites: true);
        var sync = new HandoverPipe(childWrites: true);
        Process? process = null;
        ConmonAttachment? attachment = null;
        try
        {
            var psi = new ProcessStartInfo("/bin/sh")
            {
                UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            // The shell opens the handed-over pipe ends as fds 3-5, then becomes conmon.
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("exec 3<\"$1\" 4>\"$2\" 5>\"$3\" && shift 3 && exec \"$@\"");
            psi.ArgumentList.Add("sh");
            psi.ArgumentList.Add(start.ChildPath);
            psi.ArgumentList.Add(attachReady.ChildPath);
            psi.ArgumentList.Add(sync.ChildPath);
            psi.Environment["_OCI_STARTPIPE"] = "3";
            psi.Environment["_OCI_ATTACHPIPE"] = "4";
            psi.Environment["_OCI_SYNCPIPE"] = "5";
            psi.ArgumentList.Add(conmon);
            foreach (var arg in args) psi.ArgumentList.Add(arg);

            process = Process.Start(psi) ?? throw new IOException($"could not start {conmon}");
            process.StandardInput.Close();
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
            var conmonErrors = process.StandardError.ReadToEndAsync(CancellationToken.None);
            log.LogDebug("conmon exec {ContainerId} {Args} tty={Tty} pid={Pid}", spec.ContainerId, args, spec.Tty, process.Id);

            // First write: conmon may go on (it would wait here so a caller can place it in a cgroup).
            await start.Ours.WriteAsync("0"u8.ToArray(), ct);
            var ready = await UntilConmonSaysAsync(attachReady, process, conmonErrors, ct);
            // The shell has opened every end by now: drop our copies so end of file means conmon is gone.
            start.ReleaseChildEnd();
            attachReady.ReleaseChildEnd();
            sync.ReleaseChildEnd();
            if (ready.Value < 0) throw new IOException($"conmon could not set up the exec session: {ready.Message}");

            log.LogDebug("conmon exec session {Session}: attach socket ready", session);
            attachment = await ConmonAttachment.ConnectAsync(Path.Combine(spec.ScratchDir, "attach"), Path.Combine(spec.ScratchDir, "ctl"), log, ct);
            // Second write: now that we listen, conmon starts `runc exec`.
            await start.Ours.WriteAsync("0"u8.ToArray(), ct);
            var started = await UntilConmonSaysAsync(sync, process, conmonErrors, ct);
            log.LogDebug("conmon exec session {Session}: process {Pid} started", session, started.Value);
            if (started.Value <= 0)
                throw new IOException(string.IsNullOrWhiteSpace(started.Message) ? Monitor.ExitCodes.ExecFailed : started.Message.Trim());
            return new ExecProcess(spec, process, sync, attachment, started.Value, log);
        }
        catch
        {
            if (attachment is not null) await attachment.DisposeAsync();
            sync.Dispose();
            if (process is not null)
            {
                // Abandoned mid-start (the client left): the process may already run; conmon is still its reaper,
                // so its pid is still its own. Kill it before conmon, or it would outlive the session.
                if (RuncClient.ReadPidFile(spec.PidFile) is { } pid) LibC.kill(pid, Signals.SIGKILL);
                try
                {
                    if (!process.HasExited)
                    {
                        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                        try { await process.WaitForExitAsync(grace.Token); } catch (OperationCanceledException) { }
                        if (!process.HasExited) process.Kill();
                    }
                }
                catch (InvalidOperationException) { }
                process.Dispose();
            }
            TryDelete(spec.ScratchDir);
            throw;
        }
        finally
        {
            start.Dispose();
            attachReady.Dispose();
        }
    }

    /// <summary>The next message on a conmon pipe, or a failure carrying conmon's stderr if it exits without one.
    /// A fast command lets conmon write its message and exit at once: its exit may be seen before the message is
    /// read, so an exit only means "read what is left", never "nothing was said".</summary>
    static async Task<(int Value, string? Message)> UntilConmonSaysAsync(HandoverPipe pipe, Process conmon, Task<string> conmonErrors, CancellationToken ct)
    {
        var message = pipe.ReadMessageAsync(CancellationToken.None);
        if (await Task.WhenAny(message, conmon.WaitForExitAsync(ct)) != message)
        {
            ct.ThrowIfCancellationRequested(); // the read stays blocked on a live conmon; disposing the pipe ends it
            pipe.ReleaseChildEnd(); // conmon is gone: what it wrote is in the pipe, then end of file
        }
        if (await message is { } m) return m;
        var errors = await conmonErrors.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        throw new IOException($"conmon exited during exec setup: {errors.Trim()}");
    }

    /// <summary>Sets the terminal's size through conmon's control fifo; ignored without a terminal.</summary>
    public void Resize(TerminalSize size)
    {
        if (!_spec.Tty) return;
        try { _attachment.ResizeAsync(size, CancellationToken.None).GetAwaiter().GetResult(); }
        catch (IOException e) { _log.LogDebug("resizing the exec terminal failed: {Error}", e.Message); }
    }

    /// <summary>Waits for the process to end; the result is its exit code (128+n when killed by signal n).</summary>
    public async Task<int> WaitForExitAsync(CancellationToken ct)
    {
        var exit = await _exit.WaitAsync(ct);
        if (exit is null)
        {
            await _conmon.WaitForExitAsync(ct);
            throw new IOException($"conmon exited without reporting the exit code (status {_conmon.ExitCode})");
        }
        return exit.Value.Value;
    }

    /// <summary>SIGKILLs the process (conmon, its reaper, reports the exit and leaves).</summary>
    public void Kill()
    {
        if (_pidfd >= 0) LibC.pidfd_send_signal(_pidfd, Signals.SIGKILL);
        else if (!_exit.IsCompleted) LibC.kill(_pid, Signals.SIGKILL); // kernels before 5.3

    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        bool exited;
        try { exited = _conmon.HasExited; } catch (InvalidOperationException) { exited = true; }
        if (!exited)
        {
            Kill();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _conmon.WaitForExitAsync(grace.Token); }
            catch (OperationCanceledException)
            {
                _log.LogWarning("conmon for an exec in {ContainerId} did not exit; killing it", _spec.ContainerId);
                try { _conmon.Kill(); } catch (InvalidOperationException) { }
            }
        }
        await _attachment.DisposeAsync();
        try { await _output.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        _sync.Dispose();
        _conmon.Dispose();
        if (_pidfd >= 0) LibC.close(_pidfd);
        TryDelete(_spec.ScratchDir);
    }

    static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>stdin as a write-only stream over the attach socket; disposing it half-closes the socket.</summary>
    sealed class AttachInput(ConmonAttachment attachment) : ForwardOnlyStream
    {
        int _closed;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => attachment.SendInputAsync(buffer, ct);
        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _closed, 1) == 0) attachment.CloseInput();
            base.Dispose(disposing);
        }
        public override bool CanRead => false;
        public override bool CanWrite => true;
    }
}
