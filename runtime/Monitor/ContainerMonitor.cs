using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CriShim.Oci.Runc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using CriShim.Oci.Native;

namespace CriShim.Oci.Monitor;

/// <summary>Runs containers under conmon so they outlive the daemon: create (conmon runs `runc create` and keeps the
/// container's stdio, log and exit code), start, stop, delete, and reading what conmon recorded. Everything it needs
/// after a daemon restart is on disk (pid files, exit files), so a new instance picks up where the old one stopped.</summary>
public sealed partial class ContainerMonitor : IAsyncDisposable
{
    private readonly MonitorSettings _settings;
    private readonly RuncClient _runc;
    private readonly ILogger _log;
    private readonly string _conmon;
    // conmon processes this instance started: kept so they are reaped when they exit.
    private readonly ConcurrentDictionary<string, Process> _children = new();
    // runc's start is reading its exec.fifo; any other runtime (crun, runsc's shim) keeps its own start. With
    // NOTIFY_SOCKET set runc start also relays sd_notify, which only runc does.
    private readonly bool _startsThroughFifo;

    public ContainerMonitor(MonitorSettings settings, RuncClient runc, ILogger<ContainerMonitor>? logger = null)
    {
        _settings = settings;
        _runc = runc;
        _log = logger ?? NullLogger<ContainerMonitor>.Instance;
        _conmon = RuncClient.ResolveBinary(settings.ConmonBinary);
        _startsThroughFifo = Path.GetFileName(runc.Binary) == "runc" && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));
        Directory.CreateDirectory(settings.ExitDir);
        Directory.CreateDirectory(settings.PersistRoot);
        Directory.CreateDirectory(settings.SocketDir);
    }

    public MonitorSettings Settings => _settings;
    public RuncClient Runc => _runc;

    public MonitorPaths Paths(string id, string? bundlePath = null)
    {
        ValidateId(id);
        var persist = Path.Combine(_settings.PersistRoot, id);
        var bundle = bundlePath ?? Path.Combine(_settings.SocketDir, id); // the socket dir entry links to the bundle
        return new MonitorPaths(
            PersistDir: persist,
            ConmonPidFile: Path.Combine(persist, "conmon.pid"),
            ContainerPidFile: Path.Combine(persist, "container.pid"),
            ExitFile: Path.Combine(_settings.ExitDir, id),
            AttachSocket: Path.Combine(_settings.SocketDir, id, "attach"),
            ControlFifo: Path.Combine(bundle, "ctl"),
            WinszFifo: Path.Combine(bundle, "winsz"),
            ConmonStderrFile: Path.Combine(persist, "conmon.stderr"));
    }

    /// <summary>Starts conmon, which runs `runc create`; returns the container's init pid once runc created it.
    /// Throws <see cref="ContainerCreateException"/> with runc's message when the create fails.</summary>
    public async Task<int> CreateAsync(ContainerLaunchSpec spec, CancellationToken ct = default)
    {
        var paths = Paths(spec.Id, spec.BundlePath);
        Directory.CreateDirectory(paths.PersistDir);
        foreach (var stale in new[] { paths.ExitFile, Path.Combine(paths.PersistDir, "exit"), Path.Combine(paths.PersistDir, "oom"), paths.ContainerPidFile })
            File.Delete(stale);
        if (Path.GetDirectoryName(spec.LogPath) is { Length: > 0 } logDir) Directory.CreateDirectory(logDir);

        var args = ConmonCommand.BuildCreateArgs(_settings, _runc, spec, paths);
        var sw = Stopwatch.StartNew();
        using var conmon = ConmonProcess.Start(_conmon, args, spec.BundlePath, paths.ConmonStderrFile);
        var process = conmon.Process;
        await File.WriteAllTextAsync(paths.ConmonPidFile, process.Id.ToString(CultureInfo.InvariantCulture), CancellationToken.None);
        Adopt(spec.Id, process);

        string? line;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(_settings.CreateTimeout);
            try
            {
                line = await conmon.ReadMessageAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                await AbandonAsync(spec.Id, process);
                ct.ThrowIfCancellationRequested();
                throw new ContainerCreateException(spec.Id, $"runc create did not finish within {_settings.CreateTimeout}");
            }
        }

        if (line is null)
        {
            var err = ReadText(paths.ConmonStderrFile);
            await AbandonAsync(spec.Id, process);
            throw new ContainerCreateException(spec.Id, $"conmon exited ({ExitCodeOf(process)}) without reporting: {err}".TrimEnd(' ', ':'));
        }

        var (value, message) = ConmonCommand.ParseSyncMessage(line);
        if (value <= 0)
        {
            await AbandonAsync(spec.Id, process);
            throw new ContainerCreateException(spec.Id, RuncException.Clean(message ?? ExitCodes.CreateFailed));
        }
        _log.LogInformation("created container {ContainerId} pid {Pid} conmon {ConmonPid} in {Ms} ms", spec.Id, value, process.Id, sw.ElapsedMilliseconds);
        return value;
    }

    /// <summary>`runc start`: the container's process begins running its command. For runc itself what runc start does
    /// is done here (<see cref="ExecFifo"/>), a process fewer; `runc start` runs whenever that does not apply.</summary>
    public async Task StartAsync(string id, CancellationToken ct = default)
    {
        if (_startsThroughFifo
            && await ExecFifo.TryStartAsync(Path.Combine(_runc.Root, id, ExecFifo.FileName), RuncClient.ReadPidFile(Paths(id).ContainerPidFile), ct))
            return;
        await _runc.StartAsync(id, ct);
    }

    /// <summary>The exit conmon recorded, or null while the container has not exited.</summary>
    public ContainerExit? ReadExit(string id)
    {
        var paths = Paths(id);
        foreach (var file in new[] { paths.ExitFile, Path.Combine(paths.PersistDir, "exit") })
        {
            try
            {
                var info = new FileInfo(file);
                if (!info.Exists) continue;
                if (ConmonCommand.ParseExitFile(File.ReadAllText(file)) is not { } code) continue;
                var oom = File.Exists(Path.Combine(paths.PersistDir, "oom"));
                return new ContainerExit(id, code, info.LastWriteTimeUtc, oom);
            }
            catch (IOException) { }
        }
        return null;
    }

    /// <summary>conmon's pid if it is still running for this container.</summary>
    public int? MonitorPid(string id)
    {
        var pid = RuncClient.ReadPidFile(Paths(id).ConmonPidFile);
        return pid is { } p && IsConmon(p, id) ? p : null;
    }

    /// <summary>Waits until conmon recorded the exit. If conmon itself is gone without a record (killed), falls back
    /// to runc's view and reports exit code 255 once the container is stopped.</summary>
    public async Task<ContainerExit> WaitExitAsync(string id, CancellationToken ct = default)
    {
        var delay = 10;
        while (true)
        {
            if (ReadExit(id) is { } exit) return exit;
            if (MonitorPid(id) is null)
            {
                // Re-read: conmon writes the file just before it exits.
                if (ReadExit(id) is { } late) return late;
                var state = await _runc.StateAsync(id, ct);
                if (state is null || state.IsStopped)
                    return RecordLostExit(id);
            }
            await Task.Delay(delay, ct);
            delay = Math.Min(delay * 2, 200);
        }
    }

    /// <summary>Stops the container: <paramref name="signal"/>, then SIGKILL to every process once
    /// <paramref name="grace"/> passed. Idempotent: stopping a stopped or unknown container returns its exit (if any).</summary>
    public async Task<ContainerExit?> StopAsync(string id, TimeSpan grace, int signal = Signals.SIGTERM, CancellationToken ct = default)
    {
        if (ReadExit(id) is { } done) return done;
        var state = await _runc.StateAsync(id, ct);
        if (state is null) return ReadExit(id);
        if (grace > TimeSpan.Zero && state.IsRunning)
        {
            await TryKillAsync(id, signal, all: false, ct);
            using var graceCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            graceCts.CancelAfter(grace);
            try { return await WaitExitAsync(id, graceCts.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
        }
        _log.LogInformation("killing container {ContainerId}", id);
        await TryKillAsync(id, Signals.SIGKILL, all: true, ct);
        return await WaitExitAsync(id, ct);
    }

    /// <summary>Removes the container from runc (and its cgroup) and conmon's files. Idempotent.</summary>
    public async Task DeleteAsync(string id, CancellationToken ct = default)
    {
        var paths = Paths(id);
        await _runc.DeleteAsync(id, force: true, ct);
        if (MonitorPid(id) is { } pid)
        {
            // conmon exits on its own once the container is gone; give it a moment, then make sure.
            for (var i = 0; i < 50 && LibC.ProcessExists(pid) && IsConmon(pid, id); i++)
                await Task.Delay(20, ct);
            if (IsConmon(pid, id)) LibC.kill(pid, Signals.SIGKILL);
        }
        if (_children.TryRemove(id, out var child)) await ReapAsync(child);
        TryDeleteFile(paths.ExitFile);
        TryDeleteFile(Path.Combine(_settings.SocketDir, id));
        try { if (Directory.Exists(paths.PersistDir)) Directory.Delete(paths.PersistDir, recursive: true); }
        catch (IOException e) { _log.LogWarning(e, "could not remove {Dir}", paths.PersistDir); }
    }

    /// <summary>Asks conmon to reopen the container log (after the kubelet rotated it).</summary>
    public Task ReopenLogAsync(string id, string bundlePath, CancellationToken ct = default) =>
        WriteControlAsync(Paths(id, bundlePath).ControlFifo, ConmonCommand.ControlMessage(2), ct);

    /// <summary>Ids of containers that have monitor state on disk (for recovery after a restart).</summary>
    public IReadOnlyList<string> KnownContainers() =>
        Directory.Exists(_settings.PersistRoot)
            ? Directory.GetDirectories(_settings.PersistRoot).Select(Path.GetFileName).OfType<string>().ToList()
            : [];

    private static async Task WriteControlAsync(string fifo, string message, CancellationToken ct)
    {
        if (!File.Exists(fifo)) throw new FileNotFoundException("conmon control fifo not found (container not running under conmon?)", fifo);
        // conmon holds a dummy writer and a reader open, so opening for write does not block.
        await using var fs = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
        var bytes = System.Text.Encoding.ASCII.GetBytes(message);
        await fs.WriteAsync(bytes, ct);
    }

    private async Task TryKillAsync(string id, int signal, bool all, CancellationToken ct)
    {
        try { await _runc.KillAsync(id, signal, all, ct); }
        catch (RuncException e) when (e.IsNotRunning || e.IsNotFound)
        {
            _log.LogDebug("kill {ContainerId}: {Message}", id, e.Message);
        }
    }

    private ContainerExit RecordLostExit(string id)
    {
        // No one will ever write an exit code: record "unknown" so every reader agrees from now on.
        var paths = Paths(id);
        try { File.WriteAllText(paths.ExitFile, ExitCodes.Lost.ToString(CultureInfo.InvariantCulture)); } catch (IOException) { }
        _log.LogWarning("conmon for {ContainerId} is gone without recording an exit; reporting {ExitCode}", id, ExitCodes.Lost);
        return ReadExit(id) ?? new ContainerExit(id, ExitCodes.Lost, DateTimeOffset.UtcNow);
    }

    private void Adopt(string id, Process process)
    {
        _children[id] = process;
        // Reap as soon as it exits, and drop our reference.
        _ = process.WaitForExitAsync().ContinueWith(
            _ => _children.TryRemove(new KeyValuePair<string, Process>(id, process)), TaskScheduler.Default);
    }

    private async Task AbandonAsync(string id, Process process)
    {
        if (!process.HasExited)
        {
            try { process.Kill(); } catch (InvalidOperationException) { }
        }
        await ReapAsync(process);
        try { await _runc.DeleteAsync(id, force: true, CancellationToken.None); }
        catch (Exception e) { _log.LogWarning(e, "cleanup of failed container {ContainerId}", id); }
        TryDeleteFile(Path.Combine(_settings.SocketDir, id));
    }

    private static async Task ReapAsync(Process process)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { }
        catch (InvalidOperationException) { }
    }

    /// <summary>Guards against pid reuse: the pid must be a conmon for this very container.</summary>
    private static bool IsConmon(int pid, string id)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            if (cmdline.Length == 0) return false; // zombie
            var argv = cmdline.Split('\0');
            return argv.Length > 0 && Path.GetFileName(argv[0]).Contains("conmon", StringComparison.Ordinal)
                   && argv.Contains(id);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static string ExitCodeOf(Process p)
    {
        try { return p.HasExited ? p.ExitCode.ToString(CultureInfo.InvariantCulture) : "?"; }
        catch (InvalidOperationException) { return "?"; }
    }

    private static string ReadText(string path)
    {
        try { return File.ReadAllText(path).Trim(); } catch (IOException) { return ""; }
    }

    private static void TryDeleteFile(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void ValidateId(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Contains('/') || id is "." or ".." || id.Length > 128)
            throw new ArgumentException($"invalid container id '{id}'", nameof(id));
    }

    public ValueTask DisposeAsync()
    {
        // conmon processes keep running on purpose: containers outlive the daemon.
        _children.Clear();
        return ValueTask.CompletedTask;
    }
}
