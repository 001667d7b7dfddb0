using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Oci.Monitor;

/// <summary>Reports container exits as conmon records them in the exit directory: an inotify watch for promptness
/// plus a periodic rescan (inotify can overflow; exits that happened while the daemon was down are found by the
/// first scan). Each exit file is reported once per watcher; consumers should treat events as idempotent.</summary>
public sealed class ExitWatcher : IAsyncDisposable
{
    private readonly ContainerMonitor _monitor;
    private readonly ILogger _log;
    private readonly Channel<ContainerExit> _events = Channel.CreateUnbounded<ContainerExit>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Dictionary<string, DateTimeOffset> _reported = new();
    private readonly SemaphoreSlim _scanGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private FileSystemWatcher? _fsw;
    private Task? _loop;

    public ExitWatcher(ContainerMonitor monitor, ILogger<ExitWatcher>? logger = null)
    {
        _monitor = monitor;
        _log = logger ?? NullLogger<ExitWatcher>.Instance;
    }

    /// <summary>How often the directory is rescanned and monitors are checked for liveness.</summary>
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromSeconds(1);

    public ChannelReader<ContainerExit> Exits => _events.Reader;

    public void Start()
    {
        if (_loop is not null) return;
        var dir = _monitor.Settings.ExitDir;
        Directory.CreateDirectory(dir);
        _fsw = new FileSystemWatcher(dir) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite };
        _fsw.Created += (_, _) => Kick();
        _fsw.Renamed += (_, _) => Kick();
        _fsw.Changed += (_, _) => Kick();
        _fsw.EnableRaisingEvents = true;
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    private void Kick() => _ = ScanAsync(_stop.Token);

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await ScanAsync(ct);
            await CheckLostMonitorsAsync(ct);
            try { await Task.Delay(RescanInterval, ct); }
            catch (OperationCanceledException) { break; }
        }
    }

    private async Task ScanAsync(CancellationToken ct)
    {
        try { await _scanGate.WaitAsync(ct); }
        catch (OperationCanceledException) { return; }
        try
        {
            foreach (var file in Directory.EnumerateFiles(_monitor.Settings.ExitDir))
            {
                var id = Path.GetFileName(file);
                if (id.StartsWith('.')) continue; // conmon's temporary file before the rename
                var exit = _monitor.ReadExit(id);
                if (exit is null) continue;
                if (_reported.TryGetValue(id, out var at) && at == exit.FinishedAt) continue;
                _reported[id] = exit.FinishedAt;
                _log.LogInformation("container {ContainerId} exited with {ExitCode}", id, exit.ExitCode);
                await _events.Writer.WriteAsync(exit, ct);
            }
            // Forget deleted containers so a reused id is reported again.
            foreach (var id in _reported.Keys.Where(k => !File.Exists(Path.Combine(_monitor.Settings.ExitDir, k))).ToList())
                _reported.Remove(id);
        }
        catch (DirectoryNotFoundException) { }
        catch (OperationCanceledException) { }
        catch (Exception e) { _log.LogWarning(e, "scanning exit directory"); }
        finally { _scanGate.Release(); }
    }

    /// <summary>conmon killed (or crashed) leaves no exit file: once runc says the container stopped, record one.</summary>
    private async Task CheckLostMonitorsAsync(CancellationToken ct)
    {
        foreach (var id in _monitor.KnownContainers())
        {
            if (ct.IsCancellationRequested) return;
            try
            {
                var paths = _monitor.Paths(id);
                if (!File.Exists(paths.ConmonPidFile) || _monitor.ReadExit(id) is not null || _monitor.MonitorPid(id) is not null) continue;
                var state = await _monitor.Runc.StateAsync(id, ct);
                if (state is null || state.IsStopped)
                {
                    using var once = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await _monitor.WaitExitAsync(id, once.Token);
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { _log.LogDebug(e, "liveness check of {ContainerId}", id); }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _fsw?.Dispose();
        if (_loop is not null)
        {
            try { await _loop; } catch (OperationCanceledException) { }
        }
        _events.Writer.TryComplete();
        _stop.Dispose();
    }
}
