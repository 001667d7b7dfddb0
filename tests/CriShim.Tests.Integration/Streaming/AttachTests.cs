using System.Text;
using System.Text.Json.Nodes;
using CriShim.Streaming;
using static CriShim.Tests.Integration.Streaming.StreamingFixture;

namespace CriShim.Tests.Integration.Streaming;

public class AttachTests
{
    const string EchoLoop = "while read l; do echo got $l; echo err $l >&2; done; echo bye";

    [Test]
    public async Task Attach_over_spdy_reaches_stdin_and_both_outputs_through_conmon_until_the_container_exits()
    {
        await using var container = await ConmonContainer.StartAsync(["sh", "-c", EchoLoop], tty: false, leaveStdinOpen: false);
        var url = Server.UrlFor(new AttachStreamRequest(container.Target, false, true, true, true));
        await using var client = await SpdyTestClient.ConnectAsync(url, "v4.channel.k8s.io");
        var error = await client.OpenAsync(("streamType", "error"));
        var stdin = await client.OpenAsync(("streamType", "stdin"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));
        var stderr = await client.OpenAsync(("streamType", "stderr"));
        var output = SpdyTestClient.ReadAllAsync(stdout);
        var errors = SpdyTestClient.ReadAllAsync(stderr);

        await stdin.WriteAsync("hello\n"u8.ToArray());
        await stdin.CloseWriteAsync(); // conmon without --leave-stdin-open closes the container's stdin: the loop ends

        Assert.That(Encoding.UTF8.GetString(await output), Is.EqualTo("got hello\nbye\n"));
        Assert.That(Encoding.UTF8.GetString(await errors), Is.EqualTo("err hello\n"));
        Assert.That((string?)JsonNode.Parse(await SpdyTestClient.ReadAllAsync(error))!["status"], Is.EqualTo("Success"));
    }

    [Test]
    public async Task Attach_reaches_a_socket_whose_path_is_longer_than_a_unix_address_holds()
    {
        await using var container = await ConmonContainer.StartAsync(["sh", "-c", EchoLoop], tty: false, leaveStdinOpen: false, longDirName: new string('d', 100));
        Assert.That(container.BundleAttachSocket.Length, Is.GreaterThan(108));
        var target = container.Target with { AttachSocketPath = container.BundleAttachSocket };
        var url = Server.UrlFor(new AttachStreamRequest(target, false, true, true, false));
        await using var client = await WebSocketTestClient.ConnectAsync(url, "v5.channel.k8s.io");
        await client.SendAsync(0, "far\n"u8);
        await client.SendAsync(255, [0]);
        var channels = await client.ReceiveAllAsync();
        Assert.That(Encoding.UTF8.GetString(channels[1].ToArray()), Is.EqualTo("got far\nbye\n"));
    }

    [Test]
    public async Task Detaching_leaves_the_container_running()
    {
        await using var container = await ConmonContainer.StartAsync(["sh", "-c", EchoLoop], tty: false, leaveStdinOpen: true);
        var url = Server.UrlFor(new AttachStreamRequest(container.Target, false, true, true, false));
        await using (var client = await WebSocketTestClient.ConnectAsync(url, "v5.channel.k8s.io"))
        {
            await client.SendAsync(0, "one\n"u8);
            var received = new StringBuilder();
            while (!received.ToString().Contains("got one") && await client.ReceiveAsync() is { } message)
                if (message.Channel == 1) received.Append(Encoding.UTF8.GetString(message.Data));
            Assert.That(received.ToString(), Does.Contain("got one"));
            await client.SendAsync(255, [0]); // closes stdin on our side; conmon keeps the container's open
        }
        await Task.Delay(500);
        Assert.That(await container.StateAsync(), Is.EqualTo("running"));
    }

    [Test]
    public async Task A_tty_attach_resizes_the_terminal_through_the_control_fifo()
    {
        await using var container = await ConmonContainer.StartAsync(["sh"], tty: true, leaveStdinOpen: true);
        var url = Server.UrlFor(new AttachStreamRequest(container.Target, true, true, true, false));
        await using var client = await SpdyTestClient.ConnectAsync(url, "v4.channel.k8s.io");
        var error = await client.OpenAsync(("streamType", "error"));
        var stdin = await client.OpenAsync(("streamType", "stdin"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));
        var resize = await client.OpenAsync(("streamType", "resize"));
        var output = SpdyTestClient.ReadAllAsync(stdout);

        await resize.WriteAsync("{\"Width\":91,\"Height\":27}"u8.ToArray());
        await Task.Delay(500);
        await stdin.WriteAsync("stty size; exit\n"u8.ToArray());

        Assert.That(Encoding.UTF8.GetString(await output), Does.Contain("27 91"));
        await SpdyTestClient.ReadAllAsync(error);
    }
}
