using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using static CriShim.Tests.Integration.Streaming.StreamingFixture;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>
/// kubectl's own (Go, client-go) streaming clients against our server, through a fake API server that proxies
/// like the kubelet does. Environment switches pick the protocol kubectl uses.
/// </summary>
public class KubectlTests
{
    FakeApiServer _api = null!;
    string _kubeconfig = "";

    [SetUp]
    public void StartApiServer()
    {
        if (!File.Exists("/usr/bin/kubectl") && !File.Exists("/usr/local/bin/kubectl")) Assert.Ignore("kubectl is not installed");
        _api = new FakeApiServer();
        _api.Start();
        _kubeconfig = _api.WriteKubeconfig(Dir);
    }

    [TearDown]
    public async Task StopApiServer()
    {
        if (_api is not null) await _api.DisposeAsync();
    }

    ProcessStartInfo Kubectl(Dictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(_kubeconfig);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = Dir;
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(Dictionary<string, string> env, string? stdin, params string[] args)
    {
        using var p = Process.Start(Kubectl(env, args))!;
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); throw; }
        return (p.ExitCode, await stdout, await stderr);
    }

    static readonly Dictionary<string, string> Spdy = new() { ["KUBECTL_REMOTE_COMMAND_WEBSOCKETS"] = "false", ["KUBECTL_PORT_FORWARD_WEBSOCKETS"] = "false" };
    static readonly Dictionary<string, string> WebSockets = new() { ["KUBECTL_REMOTE_COMMAND_WEBSOCKETS"] = "true", ["KUBECTL_PORT_FORWARD_WEBSOCKETS"] = "true" };

    [Test]
    public async Task Kubectl_exec_over_spdy_gets_the_output_and_the_exit_code()
    {
        var (code, stdout, stderr) = await RunAsync(Spdy, null, "exec", FakeApiServer.PodName, "--", "sh", "-c", "echo hi; exit 3");
        Assert.That(stdout, Is.EqualTo("hi\n"), stderr);
        Assert.That(code, Is.EqualTo(3), stderr);
        Assert.That(_api.Requests, Has.Some.Contains("/exec upgrade=SPDY/3.1"));
    }

    [Test]
    public async Task Kubectl_exec_over_websocket_passes_stdin_and_gets_the_output()
    {
        var (code, stdout, stderr) = await RunAsync(WebSockets, "line one\nline two\n", "exec", "-i", FakeApiServer.PodName, "--", "sh", "-c", "cat; echo done >&2");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Is.EqualTo("line one\nline two\n"));
        Assert.That(stderr, Does.Contain("done"));
        Assert.That(_api.Requests, Has.Some.Contains("/exec upgrade=websocket protocols=v5.channel.k8s.io"));
    }

    [Test]
    public async Task Kubectl_exec_over_websocket_reports_a_failing_exit_code()
    {
        var (code, _, stderr) = await RunAsync(WebSockets, null, "exec", FakeApiServer.PodName, "--", "sh", "-c", "exit 4");
        Assert.That(code, Is.EqualTo(4), stderr);
    }

    [TestCase(false, TestName = "Kubectl_attach_over_spdy_talks_to_the_container_through_conmon")]
    [TestCase(true, TestName = "Kubectl_attach_over_websocket_talks_to_the_container_through_conmon")]
    public async Task Kubectl_attach_talks_to_the_container_through_conmon(bool websocket)
    {
        await using var container = await ConmonContainer.StartAsync(["sh", "-c", "while read l; do echo got $l; done"], tty: false, leaveStdinOpen: false);
        _api.AttachTarget = () => new CriShim.Streaming.AttachStreamRequest(container.Target, false, true, true, true);
        var (code, stdout, stderr) = await RunAsync(websocket ? WebSockets : Spdy, "hello\nworld\n", "attach", "-i", FakeApiServer.PodName);
        Assert.That(stdout, Does.Contain("got hello\ngot world\n"), stderr);
        Assert.That(code, Is.Zero, stderr);
        Assert.That(_api.Requests, Has.Some.Contains(websocket ? "/attach upgrade=websocket" : "/attach upgrade=SPDY/3.1"));
    }

    [TestCase(false, TestName = "Kubectl_port_forward_over_spdy_reaches_the_pods_port")]
    [TestCase(true, TestName = "Kubectl_port_forward_over_spdy_in_websocket_reaches_the_pods_port")]
    public async Task Kubectl_port_forward_reaches_the_pods_port(bool websocket)
    {
        var local = FreePort();
        using var p = Process.Start(Kubectl(websocket ? WebSockets : Spdy, "port-forward", "--address", "127.0.0.1", FakeApiServer.PodName, $"{local}:8081", $"{local + 1}:8080"))!;
        try
        {
            var errors = new StringBuilder();
            p.ErrorDataReceived += (_, e) => { lock (errors) errors.AppendLine(e.Data); };
            p.BeginErrorReadLine();
            var ready = await WaitForLineAsync(p.StandardOutput, "Forwarding from");
            lock (errors) Assert.That(ready, Is.True, $"kubectl port-forward did not start: {errors}; requests: {string.Join(", ", _api.Requests)}");

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            for (var i = 0; i < 3; i++)
                Assert.That(await http.GetStringAsync($"http://127.0.0.1:{local}/index.html"), Is.EqualTo("hello from the pod\n"));

            var payload = new byte[256 * 1024];
            Random.Shared.NextBytes(payload);
            var echoes = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => EchoAsync(local + 1, payload)));
            Assert.That(echoes, Has.All.EqualTo(payload));
            Assert.That(_api.Requests, Has.Some.Contains(websocket ? "/portforward upgrade=websocket protocols=SPDY/3.1+portforward.k8s.io" : "/portforward upgrade=SPDY/3.1"));
        }
        finally
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    static async Task<byte[]> EchoAsync(int port, byte[] payload)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var reading = Task.Run(async () =>
        {
            var received = new MemoryStream();
            var buffer = new byte[64 * 1024];
            while (received.Length < payload.Length)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0) break;
                received.Write(buffer, 0, n);
            }
            return received.ToArray();
        });
        await stream.WriteAsync(payload);
        return await reading.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Waits (bounded) for a line containing the text; reading goes on in the background.</summary>
    static async Task<bool> WaitForLineAsync(StreamReader reader, string text)
    {
        var found = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                TestContext.Progress.WriteLine($"kubectl: {line}");
                if (line.Contains(text)) found.TrySetResult(true);
            }
            found.TrySetResult(false);
        });
        try { return await found.Task.WaitAsync(TimeSpan.FromSeconds(30)); }
        catch (TimeoutException) { return false; }
    }

    static int FreePort()
    {
        // Two consecutive free ports for the two forwards.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var a = new TcpListener(IPAddress.Loopback, 0);
            a.Start();
            var port = ((IPEndPoint)a.LocalEndpoint).Port;
            try
            {
                using var b = new TcpListener(IPAddress.Loopback, port + 1);
                b.Start();
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException("no two consecutive free ports");
    }
}
