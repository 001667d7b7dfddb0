using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using CriShim.Streaming;
using CriShim.Tests.Integration.Support;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>A busybox container run under a real conmon (as the daemon's monitor does) with a private runc root.</summary>
sealed class ConmonContainer : IAsyncDisposable
{
    public required string Id { get; init; }
    public required string Dir { get; init; }
    public required string Bundle { get; init; }
    public required string RuncRoot { get; init; }
    public required bool Tty { get; init; }

    /// <summary>Through the symlink conmon makes in its socket directory, as the daemon would address it.</summary>
    public string AttachSocket => Path.Combine(Dir, "sock", Id, "attach");
    public string ControlFifo => Path.Combine(Bundle, "ctl");

    public ContainerTarget Target => new(Id, Id, new ContainerMonitor(new MonitorSettings("conmon", Path.Combine(Dir, "mon")), new RuncClient("runc", RuncRoot)),
        AttachSocket, ControlFifo, Tty, true);

    /// <summary>The socket as conmon bound it, in the bundle: with a long bundle path, beyond what sun_path holds.</summary>
    public string BundleAttachSocket => Path.Combine(Bundle, "attach");

    public static async Task<ConmonContainer> StartAsync(string[] args, bool tty, bool leaveStdinOpen, string? longDirName = null)
    {
        var id = $"attach-{Guid.NewGuid().ToString("N")[..8]}";
        var dir = longDirName is null ? Path.Combine(StreamingFixture.Dir, id) : Path.Combine(StreamingFixture.Dir, longDirName, id);
        var bundle = Path.Combine(dir, "bundle");
        var root = Path.Combine(dir, "runc");
        foreach (var d in new[] { root, Path.Combine(dir, "exits"), Path.Combine(dir, "sock") }) Directory.CreateDirectory(d);
        TestBundle.Create(bundle, id, args, terminal: tty);
        var conmonArgs = new List<string>
        {
            "--api-version", "1", "-c", id, "-u", id, "-n", id, "-r", "/usr/sbin/runc", "-b", bundle,
            "-p", Path.Combine(bundle, "pidfile"), "-P", Path.Combine(dir, "conmon.pid"),
            "-l", $"k8s-file:{Path.Combine(dir, "ctr.log")}", "--exit-dir", Path.Combine(dir, "exits"),
            "--socket-dir-path", Path.Combine(dir, "sock"), "--runtime-arg", $"--root={root}",
        };
        if (tty) conmonArgs.Add("-t");
        else conmonArgs.Add("-i");
        if (leaveStdinOpen) conmonArgs.Add("--leave-stdin-open");
        // conmon daemonises once the container is created; then it only needs starting.
        await Sh.RunAsync("sh", "-c", $"conmon {string.Join(' ', conmonArgs.Select(a => $"'{a}'"))} </dev/null >/dev/null 2>{dir}/conmon.err");
        var container = new ConmonContainer { Id = id, Dir = dir, Bundle = bundle, RuncRoot = root, Tty = tty };
        var pidFile = Path.Combine(bundle, "pidfile");
        for (var i = 0; i < 100 && !File.Exists(pidFile); i++) await Task.Delay(50);
        if (!File.Exists(pidFile))
            throw new InvalidOperationException($"conmon did not create the container: {File.ReadAllText(Path.Combine(dir, "conmon.err"))}");
        await Sh.RunAsync("runc", "--root", root, "start", id);
        return container;
    }

    public async Task<string> StateAsync()
    {
        var state = await Sh.RunAsync("runc", ["--root", RuncRoot, "state", Id], check: false);
        return System.Text.Json.Nodes.JsonNode.Parse(state.Length > 0 ? state : "{}")?["status"]?.ToString() ?? "gone";
    }

    public async ValueTask DisposeAsync()
    {
        await Sh.RunAsync("runc", ["--root", RuncRoot, "delete", "-f", Id], check: false);
        var pidFile = Path.Combine(Dir, "conmon.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            for (var i = 0; i < 50 && Directory.Exists($"/proc/{pid}"); i++) await Task.Delay(100);
            if (Directory.Exists($"/proc/{pid}")) await Sh.RunAsync("kill", ["-9", pid.ToString()], check: false);
        }
        await Sh.RunAsync("sh", ["-c", $"rmdir /sys/fs/cgroup/*/crishim-test/{Id} 2>/dev/null"], check: false);
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        var parent = Path.GetDirectoryName(Dir)!;
        if (parent != StreamingFixture.Dir) try { Directory.Delete(parent, recursive: true); } catch (IOException) { }
    }
}
