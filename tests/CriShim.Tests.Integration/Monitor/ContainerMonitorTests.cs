using System.Text;
using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using CriShim.Tests.Integration.Support;

namespace CriShim.Tests.Integration.Monitor;

[TestFixture, NonParallelizable]
public sealed class ContainerMonitorTests
{
    private TempDir _dir = null!;
    private RuncClient _runc = null!;
    private MonitorSettings _settings = null!;
    private ContainerMonitor _monitor = null!;
    private readonly List<string> _ids = [];

    [SetUp]
    public void SetUp()
    {
        if (!TestBundle.BusyboxAvailable) Assert.Ignore("busybox-static is not installed");
        _dir = new TempDir("crishim-mon-");
        _runc = new RuncClient("runc", Path.Combine(_dir.Path, "runc"));
        _settings = new MonitorSettings("conmon", Path.Combine(_dir.Path, "mon"));
        _monitor = NewMonitor();
    }

    private ContainerMonitor NewMonitor() => new(_settings, new RuncClient("runc", _runc.Root));

    [OneTimeTearDown]
    public void RemoveCgroupParents() => TestBundle.RemoveTestCgroupParents();

    [TearDown]
    public async Task TearDown()
    {
        foreach (var id in _ids)
        {
            await _monitor.StopAsync(id, TimeSpan.Zero);
            await _monitor.DeleteAsync(id);
        }
        _ids.Clear();
        _dir.Dispose();
    }

    private async Task<(string Id, ContainerLaunchSpec Spec)> CreateAsync(params string[] args)
    {
        var id = "mon-" + Guid.NewGuid().ToString("N")[..8];
        _ids.Add(id);
        var bundle = TestBundle.Create(_dir.Sub(id), id, args);
        var spec = new ContainerLaunchSpec(id, "test-" + id, bundle, Path.Combine(_dir.Path, "logs", id + ".log"));
        var pid = await _monitor.CreateAsync(spec);
        Assert.That(pid, Is.GreaterThan(0));
        return (id, spec);
    }

    private async Task<(string Id, ContainerLaunchSpec Spec)> RunAsync(params string[] args)
    {
        var c = await CreateAsync(args);
        await _monitor.StartAsync(c.Id);
        return c;
    }

    private static async Task<ContainerExit> WaitExit(ContainerMonitor m, string id)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await m.WaitExitAsync(id, cts.Token);
    }

    [Test]
    public async Task Create_reports_the_container_pid_and_runc_sees_it_created()
    {
        var (id, _) = await CreateAsync("sh", "-c", "echo hi");
        var state = await _runc.StateAsync(id);
        Assert.That(state!.Status, Is.EqualTo("created"));
        Assert.That(_monitor.MonitorPid(id), Is.Not.Null, "conmon is running");
    }

    [Test]
    public async Task Container_output_is_written_to_the_log_in_CRI_format_for_stdout_and_stderr()
    {
        var (id, spec) = await RunAsync("sh", "-c", "echo to-out; echo to-err >&2; printf partial");
        var exit = await WaitExit(_monitor, id);
        Assert.That(exit.ExitCode, Is.Zero);
        var lines = File.ReadAllLines(spec.LogPath);
        Assert.That(lines, Has.Some.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-Z][0-9:]* stdout F to-out$"));
        Assert.That(lines, Has.Some.Match(@" stderr F to-err$"));
        Assert.That(lines, Has.Some.Match(@" stdout P partial$"));
        var (stdout, stderr, _) = CriLog.Split(File.ReadAllBytes(spec.LogPath));
        Assert.That(Encoding.UTF8.GetString(stdout), Is.EqualTo("to-out\npartial"));
        Assert.That(Encoding.UTF8.GetString(stderr), Is.EqualTo("to-err\n"));
    }

    [Test]
    public async Task Exit_code_is_recorded_when_the_container_exits()
    {
        var (id, _) = await RunAsync("sh", "-c", "exit 3");
        var exit = await WaitExit(_monitor, id);
        Assert.That(exit.ExitCode, Is.EqualTo(3));
        Assert.That(_monitor.ReadExit(id)!.ExitCode, Is.EqualTo(3));
        Assert.That(exit.FinishedAt, Is.GreaterThan(DateTimeOffset.UtcNow.AddMinutes(-1)));
    }

    [Test]
    public async Task A_failing_create_reports_runc_error_message()
    {
        var id = "mon-bad-" + Guid.NewGuid().ToString("N")[..6];
        var bundle = TestBundle.Create(_dir.Sub(id), id, ["/no/such/binary"]);
        var spec = new ContainerLaunchSpec(id, id, bundle, Path.Combine(_dir.Path, "logs", id + ".log"));
        var pid = 0;
        try
        {
            pid = await _monitor.CreateAsync(spec);
            await _monitor.StartAsync(id);
        }
        catch (Exception e) when (e is ContainerCreateException or RuncException)
        {
            Assert.That(e.Message, Does.Contain("no such file or directory").IgnoreCase);
            return;
        }
        finally
        {
            await _monitor.DeleteAsync(id);
        }
        Assert.Fail($"create of a missing binary succeeded (pid {pid})");
    }

    [Test]
    public async Task A_broken_config_fails_create_with_runc_message_and_leaves_no_conmon()
    {
        var id = "mon-bad-" + Guid.NewGuid().ToString("N")[..6];
        var bundle = _dir.Sub(id);
        File.WriteAllText(Path.Combine(bundle, "config.json"), """{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"missing-rootfs"}}""");
        var spec = new ContainerLaunchSpec(id, id, bundle, Path.Combine(_dir.Path, "logs", id + ".log"));
        var e = Assert.ThrowsAsync<ContainerCreateException>(() => _monitor.CreateAsync(spec));
        Assert.That(e!.RuntimeMessage, Is.Not.Empty);
        Assert.That(_monitor.MonitorPid(id), Is.Null);
        Assert.That(await _runc.StateAsync(id), Is.Null);
        await _monitor.DeleteAsync(id);
    }

    [Test]
    public async Task Container_survives_the_daemon_side_and_a_new_monitor_reads_state_and_exit()
    {
        var (id, _) = await RunAsync("sh", "-c", "sleep 2; exit 5");
        var conmonPid = _monitor.MonitorPid(id);
        Assert.That(conmonPid, Is.Not.Null);
        await _monitor.DisposeAsync();

        var fresh = NewMonitor();
        _monitor = fresh;
        Assert.That(fresh.MonitorPid(id), Is.EqualTo(conmonPid), "conmon keeps running");
        Assert.That((await fresh.Runc.StateAsync(id))!.Status, Is.EqualTo("running"));
        Assert.That(fresh.ReadExit(id), Is.Null);
        var exit = await WaitExit(fresh, id);
        Assert.That(exit.ExitCode, Is.EqualTo(5));
    }

    [Test]
    public async Task Conmon_runs_in_its_own_session_detached_from_the_daemon()
    {
        var (id, _) = await RunAsync("sleep", "100");
        var pid = _monitor.MonitorPid(id)!.Value;
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var (pgrp, session) = (int.Parse(fields[2]), int.Parse(fields[3]));
        Assert.That(session, Is.EqualTo(pid), "conmon leads its own session");
        Assert.That(pgrp, Is.EqualTo(pid));
        Assert.That(new FileInfo($"/proc/{pid}/fd/1").LinkTarget, Is.EqualTo("/dev/null"));
    }

    [Test]
    public async Task Stop_sends_the_signal_then_kills_a_process_that_ignores_it()
    {
        var (id, _) = await RunAsync("sh", "-c", "trap '' TERM; echo ready; while true; do sleep 1; done");
        await Task.Delay(300);
        var exit = await _monitor.StopAsync(id, TimeSpan.FromSeconds(1));
        Assert.That(exit, Is.Not.Null);
        Assert.That(exit!.ExitCode, Is.EqualTo(137));
        Assert.That((await _runc.StateAsync(id))!.Status, Is.EqualTo("stopped"));
        var again = await _monitor.StopAsync(id, TimeSpan.FromSeconds(1));
        Assert.That(again!.ExitCode, Is.EqualTo(137), "stop is idempotent");
    }

    [Test]
    public async Task Stopping_a_created_but_never_started_container_records_an_exit()
    {
        var (id, _) = await CreateAsync("sleep", "100");
        var exit = await _monitor.StopAsync(id, TimeSpan.FromSeconds(5));
        Assert.That(exit, Is.Not.Null);
        Assert.That(exit!.ExitCode, Is.EqualTo(137));
    }

    [Test]
    public async Task Attach_socket_delivers_stdout_packets_tagged_with_stream_id_2()
    {
        var (id, spec) = await RunAsync("sh", "-c", "while true; do echo tick; sleep 0.1; done");
        var paths = _monitor.Paths(id, spec.BundlePath);
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Seqpacket, System.Net.Sockets.ProtocolType.Unspecified);
        await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(paths.AttachSocket));
        var buf = new byte[32768];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var n = await socket.ReceiveAsync(buf, System.Net.Sockets.SocketFlags.None, cts.Token);
        Assert.That(n, Is.GreaterThan(1));
        Assert.That(buf[0], Is.EqualTo(2), "stdout");
        Assert.That(Encoding.UTF8.GetString(buf, 1, n - 1), Does.Contain("tick"));
    }

    [Test]
    public async Task A_terminal_container_logs_its_tty_output_as_stdout()
    {
        var id = "mon-tty-" + Guid.NewGuid().ToString("N")[..6];
        _ids.Add(id);
        var bundle = TestBundle.Create(_dir.Sub(id), id, ["sh", "-c", "echo on-tty; exit 0"], terminal: true);
        var spec = new ContainerLaunchSpec(id, id, bundle, Path.Combine(_dir.Path, "logs", id + ".log")) { Terminal = true };
        await _monitor.CreateAsync(spec);
        await _monitor.StartAsync(id);
        var exit = await WaitExit(_monitor, id);
        Assert.That(exit.ExitCode, Is.Zero);
        Assert.That(File.ReadAllText(spec.LogPath), Does.Contain("stdout F on-tty"));
    }

    [Test]
    public async Task Stdin_written_to_the_attach_socket_reaches_the_container()
    {
        var id = "mon-in-" + Guid.NewGuid().ToString("N")[..6];
        _ids.Add(id);
        var bundle = TestBundle.Create(_dir.Sub(id), id, ["sh", "-c", "read line; echo got-$line"]);
        var spec = new ContainerLaunchSpec(id, id, bundle, Path.Combine(_dir.Path, "logs", id + ".log")) { Stdin = true, StdinOnce = true };
        await _monitor.CreateAsync(spec);
        await _monitor.StartAsync(id);
        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Seqpacket, System.Net.Sockets.ProtocolType.Unspecified))
        {
            await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(_monitor.Paths(id).AttachSocket));
            await socket.SendAsync(Encoding.UTF8.GetBytes("hello\n"), System.Net.Sockets.SocketFlags.None);
            var exit = await WaitExit(_monitor, id);
            Assert.That(exit.ExitCode, Is.Zero);
        }
        Assert.That(File.ReadAllText(spec.LogPath), Does.Contain("stdout F got-hello"));
    }

    [Test]
    public async Task Stop_with_grace_lets_a_process_exit_on_SIGTERM()
    {
        var (id, _) = await RunAsync("sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.1; done");
        await Task.Delay(300);
        var exit = await _monitor.StopAsync(id, TimeSpan.FromSeconds(20));
        Assert.That(exit!.ExitCode, Is.EqualTo(42));
    }

    [Test]
    public async Task Delete_removes_runc_state_cgroup_and_monitor_files_and_is_idempotent()
    {
        var (id, _) = await RunAsync("sleep", "100");
        var paths = _monitor.Paths(id);
        await _monitor.StopAsync(id, TimeSpan.Zero);
        await _monitor.DeleteAsync(id);
        await _monitor.DeleteAsync(id);
        Assert.That(await _runc.StateAsync(id), Is.Null);
        Assert.That(Directory.Exists(TestBundle.PidsCgroupDir(id)), Is.False);
        Assert.That(Directory.Exists(paths.PersistDir), Is.False);
        Assert.That(File.Exists(paths.ExitFile), Is.False);
    }

    [Test]
    public async Task Exec_sync_returns_stdout_stderr_and_exit_code()
    {
        var (id, _) = await RunAsync("sleep", "100");
        var r = await _monitor.ExecSyncAsync(id, ["sh", "-c", "echo out; echo err >&2; exit 7"], TimeSpan.FromSeconds(30));
        Assert.That(Encoding.UTF8.GetString(r.Stdout), Is.EqualTo("out\n"));
        Assert.That(Encoding.UTF8.GetString(r.Stderr), Is.EqualTo("err\n"));
        Assert.That(r.ExitCode, Is.EqualTo(7));
        Assert.That(r.TimedOut, Is.False);
    }

    [Test]
    public async Task Exec_sync_times_out_and_kills_the_process()
    {
        var (id, _) = await RunAsync("sleep", "1000");
        var r = await _monitor.ExecSyncAsync(id, ["sleep", "77"], TimeSpan.FromSeconds(1));
        Assert.That(r.TimedOut, Is.True);
        var ps = await _monitor.ExecSyncAsync(id, ["ps", "-o", "args"], TimeSpan.FromSeconds(30));
        Assert.That(Encoding.UTF8.GetString(ps.Stdout), Does.Not.Contain("sleep 77"));
    }

    [Test]
    public async Task Exec_sync_returns_when_a_background_child_keeps_stdout_open()
    {
        var (id, _) = await RunAsync("sleep", "1000");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var r = await _monitor.ExecSyncAsync(id, ["sh", "-c", "sleep 100 & echo hi"], TimeSpan.FromSeconds(90), cts.Token);
        Assert.That(Encoding.UTF8.GetString(r.Stdout), Is.EqualTo("hi\n"));
        Assert.That(r.ExitCode, Is.EqualTo(0));
        Assert.That(r.TimedOut, Is.False);
    }

    [Test]
    public async Task Exec_sync_of_a_missing_binary_fails_with_runc_message()
    {
        var (id, _) = await RunAsync("sleep", "1000");
        var e = Assert.ThrowsAsync<ContainerExecException>(() => _monitor.ExecSyncAsync(id, ["/nope"], TimeSpan.FromSeconds(30)));
        Assert.That(e!.Message, Does.Contain("nope"));
    }

    [Test]
    public void Exec_sync_in_an_unknown_container_says_not_found()
    {
        var e = Assert.ThrowsAsync<ContainerExecException>(() => _monitor.ExecSyncAsync("nope", ["true"], TimeSpan.FromSeconds(5)));
        Assert.That(e!.Message, Does.Contain("container not found"));
    }

    [Test]
    public async Task Exit_watcher_reports_exits_including_ones_from_before_it_started()
    {
        var (early, _) = await RunAsync("sh", "-c", "exit 4");
        await WaitExit(_monitor, early);
        await using var watcher = new ExitWatcher(_monitor) { RescanInterval = TimeSpan.FromMilliseconds(200) };
        watcher.Start();
        var (late, _) = await RunAsync("sh", "-c", "sleep 0.5; exit 6");
        var seen = new Dictionary<string, int>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!(seen.ContainsKey(early) && seen.ContainsKey(late)))
        {
            var e = await watcher.Exits.ReadAsync(cts.Token);
            seen[e.Id] = e.ExitCode;
        }
        Assert.That(seen[early], Is.EqualTo(4));
        Assert.That(seen[late], Is.EqualTo(6));
    }

    [Test]
    public async Task Control_fifo_accepts_a_log_reopen_and_the_attach_socket_exists()
    {
        var (id, spec) = await RunAsync("sh", "-c", "while true; do echo tick; sleep 0.2; done");
        var paths = _monitor.Paths(id, spec.BundlePath);
        Assert.That(Path.Exists(paths.AttachSocket), Is.True, "attach socket");
        await Task.Delay(500);
        File.Move(spec.LogPath, spec.LogPath + ".1");
        await _monitor.ReopenLogAsync(id, spec.BundlePath);
        for (var i = 0; i < 50 && !File.Exists(spec.LogPath); i++) await Task.Delay(100);
        Assert.That(File.Exists(spec.LogPath), Is.True, "log reopened at the original path");
        await Task.Delay(600);
        Assert.That(File.ReadAllText(spec.LogPath), Does.Contain("stdout F tick"));
    }
}
