using System.Text;
using System.Text.Json.Nodes;
using CriShim.Oci.Runc;
using CriShim.Tests.Integration.Lifecycle;
using CriShim.Tests.Integration.Streaming;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Handlers;

/// <summary>Exec, port-forward and attach into a gVisor sandbox through the daemon's streaming server.</summary>
public class SandboxStreamingTests : LifecycleFixture
{
    [Test]
    public async Task OnRunsc_ExecPortForwardAndAttach_StreamThroughTheDaemon()
    {
        if (!File.Exists(RuncClient.ResolveBinary("runsc"))) Assert.Ignore("runsc is not installed (make deps installs it)");
        var config = PodConfig(Unique("gstream"));
        var podId = (await Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config, RuntimeHandler = "runsc" })).PodSandboxId;
        try
        {
            var echo = ContainerConfig("echo", "sh", "-c", "nc -ll -p 8080 -e cat & while read l; do echo got $l; done; echo bye");
            echo.Stdin = true;
            echo.StdinOnce = true;
            var id = await StartAsync(podId, config, echo);

            var exec = await Runtime.ExecAsync(new ExecRequest { ContainerId = id, Stdout = true, Stderr = true, Cmd = { "sh", "-c", "uname -r; exit 3" } });
            await using (var client = await SpdyTestClient.ConnectAsync(exec.Url, "v4.channel.k8s.io"))
            {
                var error = await client.OpenAsync(("streamType", "error"));
                var stdout = await client.OpenAsync(("streamType", "stdout"));
                var stderr = await client.OpenAsync(("streamType", "stderr"));
                _ = SpdyTestClient.ReadAllAsync(stderr);
                var kernel = Encoding.UTF8.GetString(await SpdyTestClient.ReadAllAsync(stdout)).Trim();
                Assert.That(kernel, Is.Not.EqualTo((await File.ReadAllTextAsync("/proc/sys/kernel/osrelease")).Trim()), "gVisor's kernel answers");
                var result = JsonNode.Parse(await SpdyTestClient.ReadAllAsync(error))!;
                Assert.That((string?)result["details"]!["causes"]![0]!["message"], Is.EqualTo("3"));
            }

            // The listener runs in gVisor's network stack: port-forward reaches it through the pod IP. Until the
            // listener is up a try forwards nothing; each try asks for a fresh URL, since a URL is good for one session.
            var echoed = await RetryAsync(async () =>
            {
                var forward = await Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = podId, Port = { 8080 } });
                await using var client = await SpdyTestClient.ConnectAsync(forward.Url, "portforward.k8s.io");
                var error = await client.OpenAsync(("streamType", "error"), ("port", "8080"), ("requestID", "0"));
                var data = await client.OpenAsync(("streamType", "data"), ("port", "8080"), ("requestID", "0"));
                var reading = SpdyTestClient.ReadAllAsync(data);
                await data.WriteAsync("echo me\n"u8.ToArray());
                await data.CloseWriteAsync();
                var text = Encoding.UTF8.GetString(await reading);
                return text.Length > 0 ? text : throw new IOException("nothing forwarded yet");
            });
            Assert.That(echoed, Is.EqualTo("echo me\n"));

            var attach = await Runtime.AttachAsync(new AttachRequest { ContainerId = id, Stdin = true, Stdout = true, Stderr = true });
            await using (var client = await SpdyTestClient.ConnectAsync(attach.Url, "v4.channel.k8s.io"))
            {
                var error = await client.OpenAsync(("streamType", "error"));
                var stdin = await client.OpenAsync(("streamType", "stdin"));
                var stdout = await client.OpenAsync(("streamType", "stdout"));
                var stderr = await client.OpenAsync(("streamType", "stderr"));
                _ = SpdyTestClient.ReadAllAsync(stderr);
                var output = SpdyTestClient.ReadAllAsync(stdout);
                await stdin.WriteAsync("hello\n"u8.ToArray());
                await stdin.CloseWriteAsync();
                Assert.That(Encoding.UTF8.GetString(await output), Does.Contain("got hello"));
                await SpdyTestClient.ReadAllAsync(error);
            }
        }
        finally
        {
            try { await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = podId }); }
            catch (RpcException) { }
        }
    }

    static async Task<T> RetryAsync<T>(Func<Task<T>> action)
    {
        for (var i = 0; ; i++)
        {
            try { return await action(); }
            catch (Exception) when (i < 20) { await Task.Delay(250); }
        }
    }
}
