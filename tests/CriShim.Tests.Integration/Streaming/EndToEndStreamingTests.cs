// Needs the lifecycle fixture (real daemon, CNI, busybox from the test registry) from main:
using System.Text;
using System.Text.Json.Nodes;
using CriShim.Tests.Integration.Lifecycle;
using Runtime.V1;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>The daemon's Exec, Attach and PortForward RPCs, end to end: real pod, real CNI netns, real conmon.</summary>
public class EndToEndStreamingTests : LifecycleFixture
{
    [Test]
    public async Task Exec_attach_and_port_forward_through_the_daemon()
    {
        var (podId, podConfig) = await RunPodAsync(Unique("stream"));
        var echo = ContainerConfig("echo", "sh", "-c", "nc -ll -p 8080 -e cat & while read l; do echo got $l; done; echo bye");
        echo.Stdin = true;
        echo.StdinOnce = true;
        var id = await StartAsync(podId, podConfig, echo);

        var status = await Runtime.StatusAsync(new StatusRequest { Verbose = true });
        Assert.That(status.Info.ContainsKey("streamingUrl"), Is.True, string.Join(",", status.Info.Keys));

        // Exec over SPDY, as crictl exec does.
        var exec = await Runtime.ExecAsync(new ExecRequest { ContainerId = id, Stdout = true, Stderr = true, Cmd = { "sh", "-c", "echo hi; exit 3" } });
        Assert.That(exec.Url, Does.StartWith(status.Info["streamingUrl"]));
        await using (var client = await SpdyTestClient.ConnectAsync(exec.Url, "v4.channel.k8s.io"))
        {
            var error = await client.OpenAsync(("streamType", "error"));
            var stdout = await client.OpenAsync(("streamType", "stdout"));
            var stderr = await client.OpenAsync(("streamType", "stderr"));
            _ = SpdyTestClient.ReadAllAsync(stderr);
            Assert.That(Encoding.UTF8.GetString(await SpdyTestClient.ReadAllAsync(stdout)), Is.EqualTo("hi\n"));
            var result = JsonNode.Parse(await SpdyTestClient.ReadAllAsync(error))!;
            Assert.That((string?)result["details"]!["causes"]![0]!["message"], Is.EqualTo("3"));
        }

        // Port-forward into the pod's network namespace.
        var forward = await Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = podId, Port = { 8080 } });
        await using (var client = await SpdyTestClient.ConnectAsync(forward.Url, "portforward.k8s.io"))
        {
            var error = await client.OpenAsync(("streamType", "error"), ("port", "8080"), ("requestID", "0"));
            var data = await client.OpenAsync(("streamType", "data"), ("port", "8080"), ("requestID", "0"));
            var reading = SpdyTestClient.ReadAllAsync(data);
            await data.WriteAsync("echo me\n"u8.ToArray());
            await data.CloseWriteAsync();
            Assert.That(Encoding.UTF8.GetString(await reading), Is.EqualTo("echo me\n"));
        }

        // Attach to the container's stdio through its conmon.
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
}
