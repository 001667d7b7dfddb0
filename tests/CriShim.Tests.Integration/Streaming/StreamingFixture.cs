using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using CriShim.Streaming;
using CriShim.Streaming.PortForward;
using CriShim.Tests.Integration.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>
/// One busybox container run by real runc under a private root inside a test network namespace (with an echo
/// server on 8080 and httpd on 8081), and a standalone streaming server. Everything is removed afterwards.
/// </summary>
[SetUpFixture]
public sealed class StreamingFixture
{
    public static string Dir { get; private set; } = "";
    public static string RuncRoot { get; private set; } = "";
    public static string ContainerId { get; private set; } = "";
    public static string NetNsName { get; private set; } = "";
    public static string NetNsPath => $"/var/run/netns/{NetNsName}";
    public static StreamingServer Server { get; private set; } = null!;
    /// <summary>Silent unless STREAMING_TEST_LOG names a file to append debug output to.</summary>
    public static ILoggerFactory Logs { get; } = Environment.GetEnvironmentVariable("STREAMING_TEST_LOG") is { Length: > 0 } path
        ? LoggerFactory.Create(b => b.AddProvider(new FileLoggerProvider(path)).SetMinimumLevel(LogLevel.Debug))
        : NullLoggerFactory.Instance;

    /// <summary>Runs the execs, as a runtime handler's monitor does in the daemon.</summary>
    public static ContainerMonitor Monitor { get; private set; } = null!;
    public static ContainerTarget Container => new(ContainerId, ContainerId, Monitor, "/nonexistent/attach", null, false, false);
    public static PodTarget Pod => new("pod-" + ContainerId, NetNsPath);

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        Dir = Path.Combine("/tmp", $"crishim-stream-{suffix}");
        RuncRoot = Path.Combine(Dir, "runc");
        ContainerId = $"stream-{suffix}";
        NetNsName = $"crishim-test-{suffix}";
        Directory.CreateDirectory(RuncRoot);
        Monitor = new ContainerMonitor(new MonitorSettings("conmon", Path.Combine(Dir, "mon")), new RuncClient("runc", RuncRoot));

        await Sh.RunAsync("ip", "netns", "add", NetNsName);
        await Sh.RunAsync("ip", "netns", "exec", NetNsName, "ip", "link", "set", "lo", "up");

        var bundle = Path.Combine(Dir, ContainerId);
        TestBundle.Create(bundle, ContainerId, ["sh", "-c", "nc -ll -p 8080 -e cat & httpd -f -p 8081 -h /www & exec sleep 100000"], NetNsPath);
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs", "www"));
        File.WriteAllText(Path.Combine(bundle, "rootfs", "www", "index.html"), "hello from the pod\n");
        await Sh.RunAsync("sh", "-c", $"cd {bundle} && runc --root {RuncRoot} run -d {ContainerId} </dev/null >/dev/null 2>{Dir}/run.log");

        Server = new StreamingServer(new StreamingServerOptions
            {
                ScratchDir = Path.Combine(Dir, "exec"),
                StreamCreationTimeout = TimeSpan.FromSeconds(10),
                ExecOutputDrainTimeout = TimeSpan.FromSeconds(1),
            },
            new NetNsPodDialer(), Logs, TimeProvider.System);
        await Server.StartAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        await Sh.RunAsync("runc", ["--root", RuncRoot, "delete", "-f", ContainerId], check: false);
        await Sh.RunAsync("ip", ["netns", "delete", NetNsName], check: false);
        await Sh.RunAsync("sh", ["-c", $"rmdir /sys/fs/cgroup/*/crishim-test/{ContainerId} /sys/fs/cgroup/*/crishim-test 2>/dev/null"], check: false);
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

sealed class FileLoggerProvider(string path) : ILoggerProvider
{
    readonly Lock _lock = new();
    public ILogger CreateLogger(string category) => new FileLogger(this, category);
    public void Dispose() { }

    void Write(string line)
    {
        lock (_lock) File.AppendAllText(path, line + "\n");
    }

    sealed class FileLogger(FileLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel level) => true;
        public void Log<TState>(LogLevel level, EventId id, TState state, Exception? e, Func<TState, Exception?, string> format) =>
            owner.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {level} {category}: {format(state, e)}{(e is null ? "" : " " + e)}");
    }
}
