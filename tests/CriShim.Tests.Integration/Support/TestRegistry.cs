using System.Diagnostics;

namespace CriShim.Tests.Integration.Support;

/// <summary>
/// A real OCI registry (Debian's docker-registry) on 127.0.0.1 with a free port and temp storage.
/// <see cref="GetSharedAsync"/> gives the one instance shared by the whole run, with the test images of
/// tests/images/build-test-images.sh pushed; it is stopped by <see cref="TestRunHooks"/> at the end.
/// </summary>
public sealed class TestRegistry : IAsyncDisposable
{
    static readonly SemaphoreSlim SharedLock = new(1, 1);
    static TestRegistry? _shared;

    readonly Process _process;
    readonly string _dir;

    TestRegistry(Process process, string dir, int port, string? user, string? password)
    {
        _process = process;
        _dir = dir;
        Port = port;
        User = user;
        Password = password;
    }

    /// <summary>"127.0.0.1:PORT": what goes in image references and mirror endpoints (plain HTTP).</summary>
    public string Host => $"127.0.0.1:{Port}";
    public int Port { get; }
    public Uri BaseUri => new($"http://{Host}/");
    /// <summary>Credentials when started with htpasswd authentication.</summary>
    public string? User { get; }
    public string? Password { get; }
    public string LogPath => Path.Combine(_dir, "registry.log");

    /// <summary>The run-wide registry with the test images (built on first use, ~20 s).</summary>
    public static async Task<TestRegistry> GetSharedAsync()
    {
        await SharedLock.WaitAsync();
        try
        {
            if (_shared is not null) return _shared;
            var registry = await StartAsync();
            try
            {
                var script = Path.Combine(TestPaths.RepoRoot, "tests", "images", "build-test-images.sh");
                await ProcessRunner.RunAsync(script, [registry.Host], TimeSpan.FromMinutes(5));
            }
            catch
            {
                await registry.DisposeAsync();
                throw;
            }
            return _shared = registry;
        }
        finally { SharedLock.Release(); }
    }

    internal static async Task StopSharedAsync()
    {
        if (_shared is { } shared) await shared.DisposeAsync();
        _shared = null;
    }

    /// <summary>Starts an empty registry; with <paramref name="htpasswdLine"/> ("user:bcrypt-hash") it requires basic auth.</summary>
    public static async Task<TestRegistry> StartAsync(string? htpasswdLine = null, string? user = null, string? password = null)
    {
        var dir = TestPaths.NewTempDir("registry");
        var port = TestPaths.FreeTcpPort();
        var auth = "";
        if (htpasswdLine is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "htpasswd"), htpasswdLine + "\n");
            auth = $"auth:\n  htpasswd:\n    realm: crishim-test\n    path: {dir}/htpasswd\n";
        }
        var config = Path.Combine(dir, "config.yml");
        await File.WriteAllTextAsync(config, $$"""
            version: 0.1
            log: {level: warn}
            storage:
              filesystem: {rootdirectory: {{dir}}/data}
              delete: {enabled: true}
            http: {addr: "127.0.0.1:{{port}}"}
            {{auth}}
            """);
        var start = new ProcessStartInfo("docker-registry") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(config);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start docker-registry");
        var log = new StreamWriter(Path.Combine(dir, "registry.log")) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var registry = new TestRegistry(process, dir, port, user, password);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 100; i++)
        {
            if (process.HasExited) break;
            try
            {
                using var response = await http.GetAsync(new Uri(registry.BaseUri, "v2/"));
                return registry; // 200, or 401 when authentication is on: it answers
            }
            catch (HttpRequestException) { await Task.Delay(100); }
        }
        var output = File.Exists(registry.LogPath) ? await File.ReadAllTextAsync(registry.LogPath) : "";
        await registry.DisposeAsync();
        throw new InvalidOperationException($"docker-registry did not start on {registry.Host}:\n{output}");
    }

    /// <summary>Copies an image between registries with skopeo (plain HTTP both sides).</summary>
    public async Task CopyFromAsync(TestRegistry source, string sourceName, string destinationName)
    {
        var args = new List<string> { "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false" };
        if (source.User is not null) args.AddRange(["--src-creds", $"{source.User}:{source.Password}"]);
        if (User is not null) args.AddRange(["--dest-creds", $"{User}:{Password}"]);
        args.Add($"docker://{source.Host}/{sourceName}");
        args.Add($"docker://{Host}/{destinationName}");
        await ProcessRunner.RunAsync("skopeo", args, TimeSpan.FromMinutes(2));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
