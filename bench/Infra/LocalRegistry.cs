using System.Net;
using System.Net.Sockets;

namespace CriShim.Bench.Infra;

/// <summary>Debian's docker-registry on 127.0.0.1 and a free port; its storage is kept as a cache between runs.</summary>
sealed class LocalRegistry : IAsyncDisposable
{
    public const string WorkloadImage = "docker.io/library/busybox:1.35";
    public const string ThreeLayerImage = "docker.io/bench/threelayer:1";
    public const string SixLayerImage = "docker.io/bench/sixlayer:1";
    int _pid;

    public int Port { get; private set; }
    public string HostPort => $"127.0.0.1:{Port}";
    public string Endpoint => $"http://{HostPort}";
    /// <summary>The pause image by its registry address: loopback registries are spoken to over plain HTTP.</summary>
    public string PauseImage => $"{HostPort}/pause:3.9";

    public static string Dir => Path.Combine(Runtimes.RuntimeUnderTest.BenchRoot, "registry");

    public async Task StartAsync(string benchDir, CancellationToken ct)
    {
        Port = FreePort();
        Directory.CreateDirectory(Dir);
        var config = Path.Combine(Dir, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log: {"{"}level: warn{"}"}
            storage:
              filesystem: {"{"}rootdirectory: {Path.Combine(Dir, "data")}{"}"}
              delete: {"{"}enabled: true{"}"}
            http: {"{"}addr: "{HostPort}"{"}"}
            """, ct);
        _pid = Shell.StartDaemon("docker-registry", ["serve", config], Path.Combine(Dir, "registry.log"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        for (var i = 0; ; i++)
        {
            try { (await http.GetAsync($"{Endpoint}/v2/", ct)).EnsureSuccessStatusCode(); break; }
            catch (Exception) when (i < 100 && !ct.IsCancellationRequested) { await Task.Delay(100, ct); }
        }
        var prep = await Shell.RunAsync(Path.Combine(benchDir, "prepare-images.sh"), [HostPort], ct);
        prep.EnsureSuccess("bench/prepare-images.sh");
    }

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await Shell.StopDaemonAsync(_pid, TimeSpan.FromSeconds(5));
        _pid = 0;
    }
}
