using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using Runtime.V1;

namespace CriShim.Tests.Integration.Support;

/// <summary>
/// The real daemon (crishim.dll built from src) in its own process with a temp --root and --state, a unique socket
/// under /tmp and a --config JSON file. Gives gRPC clients over the socket; can be killed (SIGKILL) and restarted
/// on the same directories. Its output goes to <see cref="LogPath"/> (printed by <see cref="DumpLog"/>).
/// </summary>
public sealed class DaemonProcess : IAsyncDisposable
{
    readonly string _dir;
    Process? _process;
    GrpcChannel? _channel;
    StreamWriter? _log;

    DaemonProcess(string dir, JsonObject config)
    {
        _dir = dir;
        Config = config;
    }

    public string Root => Path.Combine(_dir, "root");
    public string State => Path.Combine(_dir, "state");
    public string SocketPath => Path.Combine(_dir, "crishim.sock");
    public string ConfigPath => Path.Combine(_dir, "crishim.json");
    public string LogPath => Path.Combine(_dir, "daemon.log");
    /// <summary>The --config JSON (CriShimOptions shape); change it, then <see cref="RestartAsync"/> to apply.</summary>
    public JsonObject Config { get; }
    public int Pid => _process?.Id ?? 0;

    public RuntimeService.RuntimeServiceClient Runtime { get; private set; } = null!;
    public ImageService.ImageServiceClient Images { get; private set; } = null!;

    /// <summary>Starts a daemon; <paramref name="configure"/> edits the config JSON first (e.g. Registry.Mirrors);
    /// <paramref name="beforeLaunch"/> sees the paths just before the process starts.</summary>
    public static async Task<DaemonProcess> StartAsync(Action<JsonObject>? configure = null, Action<DaemonProcess>? beforeLaunch = null)
    {
        // The socket path must stay under the 108-byte sun_path limit: keep the directory name short.
        var dir = Path.Combine("/tmp", "crishim-d-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var config = new JsonObject
        {
            ["Listen"] = "unix://" + Path.Combine(dir, "crishim.sock"),
            ["Root"] = Path.Combine(dir, "root"),
            ["State"] = Path.Combine(dir, "state"),
            ["LogLevel"] = "Debug",
            ["Registry"] = new JsonObject { ["Mirrors"] = new JsonObject(), ["Insecure"] = new JsonArray() },
        };
        configure?.Invoke(config);
        var daemon = new DaemonProcess(dir, config);
        beforeLaunch?.Invoke(daemon);
        try { await daemon.LaunchAsync(); }
        catch
        {
            daemon.DumpLog();
            await daemon.DisposeAsync();
            throw;
        }
        return daemon;
    }

    /// <summary>The crishim.dll of the same configuration as the tests (src/bin/CONFIG/net10.0), else the copy beside the tests;
    /// CRISHIM_TEST_DAEMON names another build (e.g. main's, to see a new test fail there), or a published executable
    /// (`make publish`'s out/crishim/crishim, Native AOT), which is started directly instead of through `dotnet`.</summary>
    static string DaemonAssembly()
    {
        if (Environment.GetEnvironmentVariable("CRISHIM_TEST_DAEMON") is { Length: > 0 } other) return other;
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var tfm = testDir.Name;
        var configuration = testDir.Parent?.Name ?? "Debug";
        var candidates = new[]
        {
            Path.Combine(TestPaths.RepoRoot, "src", "bin", configuration, tfm, "crishim.dll"),
            Path.Combine(AppContext.BaseDirectory, "crishim.dll"),
        };
        return candidates.FirstOrDefault(File.Exists)
               ?? throw new FileNotFoundException($"crishim.dll not found (looked at {string.Join(", ", candidates)}); build src first");
    }

    /// <summary>The daemon's command line with this config: `dotnet crishim.dll`, or a published executable itself.</summary>
    ProcessStartInfo DaemonStartInfo()
    {
        var daemon = DaemonAssembly();
        var native = !daemon.EndsWith(".dll", StringComparison.Ordinal);
        var start = new ProcessStartInfo(native ? daemon : "dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (!native) start.ArgumentList.Add(daemon);
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(ConfigPath);
        return start;
    }

    async Task LaunchAsync()
    {
        await File.WriteAllTextAsync(ConfigPath, Config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        var start = DaemonStartInfo();
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        _log ??= new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var log = _log;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the daemon");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        _channel = OpenChannel();
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
        Images = new ImageService.ImageServiceClient(_channel);

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"daemon exited with {process.ExitCode} during start-up; log: {LogPath}");
            try
            {
                await Runtime.VersionAsync(new VersionRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (RpcException) when (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>A new gRPC channel over the socket path (a new connection: proves the socket file is still the daemon's).</summary>
    public GrpcChannel OpenChannel() => GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        },
        MaxReceiveMessageSize = 16 * 1024 * 1024,
    });

    /// <summary>Starts another daemon process with this one's config (same root, state and socket) and waits for it to
    /// exit; one still running after <paramref name="timeout"/> is killed and reported with exit code -1.</summary>
    public async Task<(int ExitCode, string Output)> RunSecondInstanceAsync(TimeSpan timeout)
    {
        using var process = Process.Start(DaemonStartInfo()) ?? throw new InvalidOperationException("could not start a second daemon");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        var exitCode = -1;
        try
        {
            await process.WaitForExitAsync(cts.Token);
            exitCode = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        return (exitCode, await stdout + await stderr);
    }

    /// <summary>SIGKILL, as a crash: no shutdown code runs.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit();
        }
        _channel?.Dispose();
        _channel = null;
    }

    /// <summary>Kills the daemon if it runs and starts it again on the same root, state, socket and config.</summary>
    public async Task RestartAsync()
    {
        Kill();
        await LaunchAsync();
    }

    /// <summary>Writes the daemon's log to the test output (call it when a test failed).</summary>
    public void DumpLog()
    {
        try
        {
            lock (_log ?? new object()) { }
            if (File.Exists(LogPath)) TestContext.Progress.WriteLine($"--- daemon log {LogPath} ---\n{File.ReadAllText(LogPath)}--- end of daemon log ---");
        }
        catch (IOException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed) DumpLog();
        if (_process is { HasExited: false } p)
        {
            // SIGTERM for a clean stop; SIGKILL if it does not stop soon.
            Mono.Unix.Native.Syscall.kill(p.Id, Mono.Unix.Native.Signum.SIGTERM);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await p.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { p.Kill(); await p.WaitForExitAsync(); }
        }
        _process?.Dispose();
        _channel?.Dispose();
        _log?.Dispose();
        await UnmountUnderAsync(_dir);
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException e) { TestContext.Progress.WriteLine($"could not delete {_dir}: {e.Message}"); }
    }

    /// <summary>Never delete through a mount a test left behind (an overlay rootfs, a bind): detach them first.</summary>
    static async Task UnmountUnderAsync(string dir)
    {
        var mounts = (await File.ReadAllLinesAsync("/proc/self/mountinfo"))
            .Select(l => l.Split(' ')[4].Replace("\\040", " "))
            .Where(m => m.StartsWith(dir + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Length);
        foreach (var mount in mounts)
        {
            try { await ProcessRunner.RunAsync("umount", ["-l", mount], TimeSpan.FromSeconds(30)); }
            catch (InvalidOperationException e) { TestContext.Progress.WriteLine(e.Message); }
        }
    }
}
