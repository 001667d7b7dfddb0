using System.Diagnostics;
using CriShim.Tests.Integration.Images;
using CriShim.Tests.Integration.Support;
using Google.Protobuf;
using Runtime.V1;

namespace CriShim.Tests.Integration.Lifecycle;

/// <summary>
/// What the daemon keeps must be out of reach of unprivileged host users (here uid 65534, through setpriv): setuid
/// files in layers or written by a container's root never run as root from the host, a container's environment is in
/// no file they can read, and the daemon's directories are owner-only below traversable root and state.
/// </summary>
[TestFixture]
public class HostIsolationTests : LifecycleFixture
{
    const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    const UnixFileMode Traversable = OwnerOnly | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Runs a command as nobody:nogroup with no supplementary groups; returns its exit code and output. The
    /// command is looked up by a shell already running as nobody (setpriv's own exec reached a binary in a 0700
    /// directory here).</summary>
    static async Task<(int Code, string Stdout, string Stderr)> AsNobodyAsync(params string[] command)
    {
        var start = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "--", "/bin/sh", "-c", "exec \"$0\" \"$@\"", .. command])
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The file is there, setuid root (seen as root), and yet nobody running it gets no root euid.</summary>
    static async Task AssertSetuidIsHarmlessAsync(string path)
    {
        Assert.That(File.Exists(path), Is.True, $"{path} should exist (checked as root)");
        Assert.That(File.GetUnixFileMode(path).HasFlag(UnixFileMode.SetUser), Is.True, $"{path} should be setuid");
        var (code, stdout, stderr) = await AsNobodyAsync(path, "-u");
        Assert.That(stdout.Trim(), Is.Not.EqualTo("0"), $"{path} ran as root for uid 65534");
        Assert.That(code, Is.Not.EqualTo(0), $"uid 65534 could run {path}: {stdout}{stderr}");
    }

    [Test]
    public async Task A_setuid_root_file_shipped_in_an_image_never_runs_as_root_for_a_host_user()
    {
        var registry = await TestRegistry.GetSharedAsync();
        var image = $"{registry.Host}/crishim-test/setuid:latest";
        await Daemon.PullAsync(image);
        var layer = (await Daemon.LayerDirsAsync(image)).Single(d => File.Exists(Path.Combine(d, "usr/bin/suid-id")));
        await AssertSetuidIsHarmlessAsync(Path.Combine(layer, "usr/bin/suid-id"));

        var (pod, config) = await RunPodAsync(Unique("suidimg"));
        var container = ContainerConfig("c", "sleep", "1000");
        container.Image.Image = image;
        var id = await StartAsync(pod, config, container);
        await AssertSetuidIsHarmlessAsync(Path.Combine(Daemon.State, "containers", id, "rootfs/usr/bin/suid-id"));
    }

    [Test]
    public async Task A_setuid_root_file_made_by_a_containers_root_never_runs_as_root_for_a_host_user()
    {
        var (pod, config) = await RunPodAsync(Unique("suidctr"));
        var container = ContainerConfig("c", "sleep", "1000");
        // The host's id(1): copied into the writable layer and made setuid by the container's root.
        container.Mounts.Add(new Mount { ContainerPath = "/probe/id", HostPath = "/usr/bin/id", Readonly = true });
        var id = await StartAsync(pod, config, container);
        await ExecTextAsync(id, "sh", "-c", "cp /probe/id /made-id && chmod 4755 /made-id");

        await AssertSetuidIsHarmlessAsync(Path.Combine(Daemon.Root, "rw", id, "upper/made-id"));
        await AssertSetuidIsHarmlessAsync(Path.Combine(Daemon.State, "containers", id, "rootfs/made-id"));
    }

    [Test]
    public async Task A_containers_environment_is_in_no_file_a_host_user_can_read()
    {
        var secret = "crishim-secret-" + Guid.NewGuid().ToString("N");
        var (pod, config) = await RunPodAsync(Unique("env"));
        var container = ContainerConfig("c", "sleep", "1000");
        container.Envs.Add(new KeyValue { Key = "API_TOKEN", Value = ByteString.CopyFromUtf8(secret) });
        var id = await StartAsync(pod, config, container);
        // An exec in flight: its process spec (the container's env) and conmon's files exist while it runs.
        var exec = ExecAsync(id, 30, "sleep", "3");
        await Task.Delay(1500);

        string[] dirs = [Daemon.Root, Daemon.State, LogDir];
        var asRoot = await ProcessRunner.RunAsync("sh", ["-c", "grep -rl --devices=skip -e \"$0\" \"$@\" || true", secret, .. dirs]);
        Assert.That(asRoot, Is.Not.Empty, "the secret should be somewhere the daemon keeps (the scan would prove nothing)");
        var (_, readable, _) = await AsNobodyAsync(["grep", "-rls", "--devices=skip", "-e", secret, .. dirs]);
        Assert.That(readable.Trim(), Is.Empty, "files uid 65534 could read the secret from");
        Assert.That((await exec).ExitCode, Is.EqualTo(0));
    }

    [Test]
    public async Task Root_and_state_only_let_host_users_through_and_everything_below_is_owner_only()
    {
        var (pod, config) = await RunPodAsync(Unique("modes"));
        var id = await StartAsync(pod, config, ContainerConfig("c", "sleep", "1000"));
        await ExecTextAsync(id, "true");

        Assert.That(File.GetUnixFileMode(Daemon.Root), Is.EqualTo(Traversable));
        Assert.That(File.GetUnixFileMode(Daemon.State), Is.EqualTo(Traversable));
        var children = Directory.GetDirectories(Daemon.Root).Concat(Directory.GetDirectories(Daemon.State)).ToList();
        Assert.That(children, Has.Count.GreaterThan(8));
        // state/containers and state/pods let user-namespace pods' roots through (the static pause rootfs is open); below
        // them, this pod's dir and its container's bundle are owner-only again.
        var traversable = new[] { "containers", "pods" }.Select(d => Path.Combine(Daemon.State, d)).ToList();
        var infraRootfs = Path.Combine(Daemon.State, "infra-rootfs");
        var below = new[] { Path.Combine(Daemon.State, "pods", pod), Path.Combine(Daemon.State, "containers", id) };
        Assert.Multiple(() =>
        {
            foreach (var dir in children)
                Assert.That(File.GetUnixFileMode(dir), Is.EqualTo(dir == infraRootfs ? Traversable | UnixFileMode.GroupRead | UnixFileMode.OtherRead
                    : traversable.Contains(dir) ? Traversable : OwnerOnly), dir);
            foreach (var dir in below) Assert.That(File.GetUnixFileMode(dir), Is.EqualTo(OwnerOnly), dir);
        });
        // Containers still read the pod's files through their bind mounts, as a non-root user too.
        var asNobody = ContainerConfig("nobody", "sleep", "1000");
        asNobody.Linux.SecurityContext.RunAsUser = new Int64Value { Value = 65534 };
        var nobody = await StartAsync(pod, config, asNobody);
        Assert.That(await ExecTextAsync(nobody, "cat", "/etc/hosts"), Does.Contain("localhost"));
        await ExecTextAsync(nobody, "cat", "/etc/resolv.conf");
        Assert.That((await ExecTextAsync(nobody, "hostname")).Trim(), Is.EqualTo(config.Hostname));
    }

    [Test]
    public async Task The_cri_socket_never_accepts_a_connection_before_it_has_its_final_mode()
    {
        const UnixFileMode socketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
        var seen = new List<UnixFileMode>();
        using var stop = new CancellationTokenSource();
        string? socketPath = null;
        // Connect as fast as possible from the moment the daemon is launched; note the mode at each accepted connect.
        var probe = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (Volatile.Read(ref socketPath) is not { } path || !File.Exists(path)) { Thread.SpinWait(100); continue; }
                using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                try { socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path)); }
                catch (System.Net.Sockets.SocketException) { continue; }
                try { lock (seen) seen.Add(File.GetUnixFileMode(path)); } catch (IOException) { }
            }
        });
        await using var daemon = await DaemonProcess.StartAsync(beforeLaunch: d => Volatile.Write(ref socketPath, d.SocketPath));
        await Task.Delay(200);
        await stop.CancelAsync();
        await probe;
        lock (seen)
        {
            Assert.That(seen, Is.Not.Empty, "the probe never connected");
            Assert.That(seen.Distinct(), Is.EquivalentTo(new[] { socketMode }));
        }
    }
}
