using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using CriShim.Streaming;
using static CriShim.Tests.Integration.Streaming.StreamingFixture;

namespace CriShim.Tests.Integration.Streaming;

public class ExecOverWebSocketTests
{
    static string ExecUrl(string[] cmd, bool tty = false, bool stdin = false, bool stderr = true) =>
        Server.UrlFor(new ExecStreamRequest(Container, cmd, tty, stdin, true, stderr && !tty));

    [Test]
    public async Task A_v5_exec_ends_stdin_on_the_close_signal_and_reports_success()
    {
        await using var client = await WebSocketTestClient.ConnectAsync(ExecUrl(["cat"], stdin: true, stderr: false), "v5.channel.k8s.io", "v4.channel.k8s.io");
        Assert.That(client.Protocol, Is.EqualTo("v5.channel.k8s.io"));

        await client.SendAsync(0, "through the websocket\n"u8);
        await client.SendAsync(255, [0]); // v5: the client closed stdin
        var channels = await client.ReceiveAllAsync();

        Assert.That(Encoding.UTF8.GetString(channels[1].ToArray()), Is.EqualTo("through the websocket\n"));
        Assert.That((string?)JsonNode.Parse(channels[3].ToArray())!["status"], Is.EqualTo("Success"));
    }

    [Test]
    public async Task A_v4_exec_reports_the_exit_code_and_keeps_stdout_and_stderr_apart()
    {
        await using var client = await WebSocketTestClient.ConnectAsync(ExecUrl(["sh", "-c", "echo out; echo err >&2; exit 5"]), "v4.channel.k8s.io");
        var channels = await client.ReceiveAllAsync();

        Assert.That(Encoding.UTF8.GetString(channels[1].ToArray()), Is.EqualTo("out\n"));
        Assert.That(Encoding.UTF8.GetString(channels[2].ToArray()), Is.EqualTo("err\n"));
        var status = JsonNode.Parse(channels[3].ToArray())!;
        Assert.That((string?)status["reason"], Is.EqualTo("NonZeroExitCode"));
        Assert.That((string?)status["details"]!["causes"]![0]!["message"], Is.EqualTo("5"));
    }

    [Test]
    public async Task The_base64_protocol_sends_text_messages_with_a_digit_channel()
    {
        await using var client = await WebSocketTestClient.ConnectAsync(ExecUrl(["echo", "encoded"], stderr: false), "base64.channel.k8s.io");
        Assert.That(client.Protocol, Is.EqualTo("base64.channel.k8s.io"));
        var output = new StringBuilder();
        while (await client.ReceiveAsync() is { } message)
        {
            // ReceiveAsync splits off the first byte: for base64 it is the ASCII digit of the channel.
            if (message.Channel == '1') output.Append(Encoding.UTF8.GetString(Convert.FromBase64String(Encoding.ASCII.GetString(message.Data))));
        }
        Assert.That(output.ToString(), Is.EqualTo("encoded\n"));
    }

    [Test]
    public async Task A_tty_exec_over_websocket_takes_resizes_on_channel_4()
    {
        await using var client = await WebSocketTestClient.ConnectAsync(ExecUrl(["sh"], tty: true, stdin: true), "v5.channel.k8s.io");
        await client.SendAsync(4, "{\"Width\":100,\"Height\":30}"u8);
        await Task.Delay(300);
        await client.SendAsync(0, "stty size; exit\n"u8);
        var channels = await client.ReceiveAllAsync();
        Assert.That(Encoding.UTF8.GetString(channels[1].ToArray()), Does.Contain("30 100"));
    }

    [Test]
    public void An_unknown_subprotocol_is_refused()
    {
        Assert.ThrowsAsync<WebSocketException>(() => WebSocketTestClient.ConnectAsync(ExecUrl(["true"]), "v99.channel.k8s.io"));
    }
}
