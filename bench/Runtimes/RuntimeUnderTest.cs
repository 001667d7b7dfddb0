using System.Text.Json.Nodes;
using CriShim.Bench.Infra;
using CriShim.Bench.Kubelet;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Bench.Runtimes;

/// <summary>
/// One CRI runtime started by the harness: its own socket, root, state, CNI network and cgroup parent, all
/// under one base directory, so that cleaning up means removing what lives there and nothing else.
/// </summary>
abstract class RuntimeUnderTest : IAsyncDisposable
{
    public const string BenchRoot = "/var/lib/crishim-bench";
    CriConnection? _cri;
    (string File, string[] Args) _command;

    protected RuntimeUnderTest(string key, string name, string bridge, string subnet)
    {
        Key = key;
        Name = name;
        BaseDir = Path.Combine(BenchRoot, key);
        Network = new CniNetwork($"{key}bench", bridge, subnet, Path.Combine(BaseDir, "cni"), Path.Combine(BaseDir, "cni-ipam"));
        Node = NodeLayout.ForThisMachine(CgroupParent, PodLogDir, Path.Combine(BaseDir, "kubelet"));
    }

    /// <summary>Short, path-safe name: "crishim", "containerd".</summary>
    public string Key { get; }
    /// <summary>Name shown in the report.</summary>
    public string Name { get; }
    public string BaseDir { get; }
    public string Root => Path.Combine(BaseDir, "root");
    public string State => Path.Combine(BaseDir, "state");
    public string Socket => Path.Combine(BaseDir, $"{Key}.sock");
    public string LogFile => Path.Combine(BaseDir, "daemon.log");
    /// <summary>This runtime's /var/log/pods.</summary>
    public string PodLogDir => Path.Combine(BaseDir, "pod-logs");
    /// <summary>Cgroup root, log root and kubelet directory of this runtime's kubelet-shaped pods.</summary>
    public NodeLayout Node { get; }
    /// <summary>What PullImage returned for the workload image at warm-up: kubelet creates containers by this ID.</summary>
    public string WorkloadImageRef { get; set; } = LocalRegistry.WorkloadImage;
    public CniNetwork Network { get; }
    /// <summary>Cgroup (below each hierarchy's root) that every pod of this runtime lives in.</summary>
    public string CgroupParent => $"crishimbench-{Key}";
    public int DaemonPid { get; private set; }

    public RuntimeService.RuntimeServiceClient Runtime => (_cri ?? throw new InvalidOperationException($"{Name} is not running")).Runtime;
    public ImageService.ImageServiceClient Images => (_cri ?? throw new InvalidOperationException($"{Name} is not running")).Images;

    /// <summary>Writes the daemon's configuration; returns the command that starts it.</summary>
    protected abstract (string File, string[] Args) Prepare(LocalRegistry registry);

    /// <summary>Removes what the daemon leaves outside its base directory, once it is stopped.</summary>
    protected virtual void AfterStop() { }

    /// <summary>Version of the runtime as the report shows it.</summary>
    public abstract Task<string> DescribeAsync();

    public async Task StartAsync(LocalRegistry registry, JsonObject cniTemplate, CancellationToken ct)
    {
        await ForceCleanAsync(); // leftovers of an interrupted earlier run
        Directory.CreateDirectory(BaseDir);
        Directory.CreateDirectory(PodLogDir);
        Network.Write(cniTemplate);
        _command = Prepare(registry);
        DaemonPid = Shell.StartDaemon(_command.File, _command.Args, LogFile);
        _cri = new CriConnection(Socket);
        await WaitReadyAsync(ct);
    }

    /// <summary>
    /// Stops the daemon with SIGTERM (as a node's service manager does; the pods keep running under their shims or
    /// conmon) and starts it again with the same command. Returns the milliseconds from the new process's start until
    /// a ListPodSandbox call answers with at least <paramref name="pods"/> pods: start to serving with them recorded.
    /// </summary>
    public async Task<double> RestartAsync(int pods, CancellationToken ct)
    {
        _cri?.Dispose();
        _cri = null;
        await Shell.StopDaemonAsync(DaemonPid, TimeSpan.FromSeconds(15));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        DaemonPid = Shell.StartDaemon(_command.File, _command.Args, LogFile);
        var last = "no answer";
        using (var probe = new CriConnection(Socket, retryUnreachable: false)) // each attempt is ours, none hidden in a backoff
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                if (!ProcFs.IsRunning(DaemonPid)) throw new InvalidOperationException($"{Name} exited during the restart:\n{LogTail()}");
                try
                {
                    var listed = await probe.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: ct);
                    if (listed.Items.Count >= pods)
                    {
                        var elapsed = clock.Elapsed.TotalMilliseconds;
                        _cri = new CriConnection(Socket);
                        return elapsed;
                    }
                    last = $"{listed.Items.Count} pods listed";
                }
                catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled) { last = e.Status.Detail; }
                await Task.Delay(5, ct);
            }
        }
        throw new TimeoutException($"{Name} not serving {pods} pods 60 s after the restart ({last}):\n{LogTail()}");
    }

    /// <summary>Waits for RuntimeReady, then a little longer for NetworkReady (whose absence the workloads will show).</summary>
    async Task WaitReadyAsync(CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var deadline = started + TimeSpan.FromSeconds(90);
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (!ProcFs.IsRunning(DaemonPid)) throw new InvalidOperationException($"{Name} exited during start-up:\n{LogTail()}");
            if (File.Exists(Socket))
            {
                try
                {
                    var status = await Runtime.StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: ct);
                    var notReady = status.Status.Conditions.Where(c => !c.Status).ToList();
                    if (notReady.Count == 0) return;
                    last = string.Join("; ", notReady.Select(c => $"{c.Type}: {c.Reason} {c.Message}"));
                    var runtimeReady = notReady.All(c => c.Type != "RuntimeReady");
                    if (runtimeReady && DateTime.UtcNow - started > TimeSpan.FromSeconds(20))
                    {
                        NotReadyWarning = $"{Name} started but reports {last}";
                        return;
                    }
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
                {
                    throw new InvalidOperationException($"{Name} does not serve CRI ({e.Status.Detail}):\n{LogTail()}");
                }
                catch (RpcException e) { last = e.Status.Detail; }
            }
            await Task.Delay(200, ct);
        }
        throw new TimeoutException($"{Name} not ready after 90 s ({last}):\n{LogTail()}");
    }

    /// <summary>Set when the runtime came up without every condition true (e.g. no network yet).</summary>
    public string? NotReadyWarning { get; private set; }

    public string LogTail(int lines = 20)
    {
        try { return string.Join('\n', File.ReadLines(LogFile).TakeLast(lines)); }
        catch { return "(no log)"; }
    }

    /// <summary>Per-pod/per-container helper processes: everything whose command line names our base directory, but the daemon.</summary>
    public List<ProcFs.ProcessInfo> Helpers() =>
        ProcFs.FindByCmdLine([BaseDir], new HashSet<int> { DaemonPid });

    /// <summary>Where the daemon's log is copied before its base directory goes; null = not kept.</summary>
    public string? KeepLogAs { get; set; }

    /// <summary>Stops and removes every pod through CRI, stops the daemon, then removes whatever is left by force.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_cri is not null && DaemonPid > 0 && ProcFs.IsRunning(DaemonPid))
        {
            try { await PodCleaner.RemoveAllPodsAsync(Runtime, TimeSpan.FromSeconds(120)); }
            catch (Exception e) { Console.Error.WriteLine($"{Name}: removing pods through CRI failed: {e.Message}"); }
        }
        _cri?.Dispose();
        _cri = null;
        await Shell.StopDaemonAsync(DaemonPid, TimeSpan.FromSeconds(15));
        DaemonPid = 0;
        if (KeepLogAs is not null && File.Exists(LogFile))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(KeepLogAs)!);
            File.Copy(LogFile, KeepLogAs, overwrite: true);
        }
        await ForceCleanAsync();
        AfterStop();
    }

    /// <summary>Kills helpers and pod processes, unmounts, removes cgroups, the bridge and the base directory.</summary>
    public async Task ForceCleanAsync()
    {
        foreach (var p in ProcFs.FindByCmdLine([BaseDir], new HashSet<int>()))
            Native.Signal(p.Pid, Native.SIGKILL);
        Cgroups.KillAndRemove(CgroupParent);
        await Task.Delay(100);
        foreach (var m in ProcFs.MountsUnder(BaseDir)) Native.UnmountDetached(m);
        Cgroups.KillAndRemove(CgroupParent);
        await Network.RemoveAsync();
        if (Directory.Exists(BaseDir) && ProcFs.MountsUnder(BaseDir).Count == 0)
        {
            try { Directory.Delete(BaseDir, recursive: true); }
            catch (Exception e) { Console.Error.WriteLine($"{Name}: cannot remove {BaseDir}: {e.Message}"); }
        }
    }
}
