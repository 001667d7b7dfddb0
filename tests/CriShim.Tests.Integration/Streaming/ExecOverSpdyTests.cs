using System.Text;
using System.Text.Json.Nodes;
using CriShim.Streaming;
using static CriShim.Tests.Integration.Streaming.StreamingFixture;

namespace CriShim.Tests.Integration.Streaming;

public class ExecOverSpdyTests
{
    static readonly string[] AllVersions = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];

    static string ExecUrl(string[] cmd, bool tty = false, bool stdin = false, bool stdout = true, bool stderr = true) =>
        Server.UrlFor(new ExecStreamRequest(Container, cmd, tty, stdin, stdout, stderr && !tty));

    [Test]
    public async Task Exec_over_spdy_v4_returns_the_output_and_the_exit_code_in_the_error_stream()
    {
        await using var client = await SpdyTestClient.ConnectAsync(ExecUrl(["sh", "-c", "echo hi; echo oops >&2; exit 3"]), AllVersions);
        Assert.That(client.Protocol, Is.EqualTo("v4.channel.k8s.io"));
        var error = await client.OpenAsync(("streamType", "error"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));
        var stderr = await client.OpenAsync(("streamType", "stderr"));

        var output = SpdyTestClient.ReadAllAsync(stdout);
        var errors = SpdyTestClient.ReadAllAsync(stderr);
        var status = JsonNode.Parse(await SpdyTestClient.ReadAllAsync(error))!;

        Assert.That(Encoding.UTF8.GetString(await output), Is.EqualTo("hi\n"));
        Assert.That(Encoding.UTF8.GetString(await errors), Is.EqualTo("oops\n"));
        Assert.That((string?)status["status"], Is.EqualTo("Failure"));
        Assert.That((string?)status["reason"], Is.EqualTo("NonZeroExitCode"));
        Assert.That((string?)status["details"]!["causes"]![0]!["reason"], Is.EqualTo("ExitCode"));
        Assert.That((string?)status["details"]!["causes"]![0]!["message"], Is.EqualTo("3"));
    }

    [Test]
    public async Task A_successful_exec_reports_success_and_stdin_reaches_the_process()
    {
        await using var client = await SpdyTestClient.ConnectAsync(ExecUrl(["cat"], stdin: true, stderr: false), AllVersions);
        var error = await client.OpenAsync(("streamType", "error"));
        var stdin = await client.OpenAsync(("streamType", "stdin"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));
        var output = SpdyTestClient.ReadAllAsync(stdout);

        await stdin.WriteAsync("ping\npong\n"u8.ToArray());
        await stdin.CloseWriteAsync();

        Assert.That(Encoding.UTF8.GetString(await output), Is.EqualTo("ping\npong\n"));
        var status = JsonNode.Parse(await SpdyTestClient.ReadAllAsync(error))!;
        Assert.That((string?)status["status"], Is.EqualTo("Success"));
    }

    [Test]
    public async Task Several_megabytes_of_stdout_arrive_intact()
    {
        await using var client = await SpdyTestClient.ConnectAsync(ExecUrl(["seq", "1", "700000"], stderr: false), AllVersions);
        var error = await client.OpenAsync(("streamType", "error"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));

        var output = await SpdyTestClient.ReadAllAsync(stdout);
        var expected = new StringBuilder();
        for (var i = 1; i <= 700000; i++) expected.Append(i).Append('\n');

        Assert.That(output, Has.Length.EqualTo(expected.Length));
        Assert.That(Encoding.ASCII.GetString(output) == expected.ToString(), "stdout differs from seq's output");
        Assert.That((string?)JsonNode.Parse(await SpdyTestClient.ReadAllAsync(error))!["status"], Is.EqualTo("Success"));
    }

    [Test]
    public async Task A_tty_exec_echoes_input_and_follows_terminal_resizes()
    {
        await using var client = await SpdyTestClient.ConnectAsync(ExecUrl(["sh"], tty: true, stdin: true), AllVersions);
        var error = await client.OpenAsync(("streamType", "error"));
        var stdin = await client.OpenAsync(("streamType", "stdin"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));
        var resize = await client.OpenAsync(("streamType", "resize"));
        var output = SpdyTestClient.ReadAllAsync(stdout);

        await resize.WriteAsync("{\"Width\":123,\"Height\":45}\n"u8.ToArray());
        await Task.Delay(300); // the resize and the typed command travel on different streams
        await stdin.WriteAsync("stty size; exit 7\n"u8.ToArray());

        var text = Encoding.UTF8.GetString(await output);
        Assert.That(text, Does.Contain("stty size"), "the terminal echoes what is typed");
        Assert.That(text, Does.Contain("45 123"));
        var status = JsonNode.Parse(await SpdyTestClient.ReadAllAsync(error))!;
        Assert.That((string?)status["details"]!["causes"]![0]!["message"], Is.EqualTo("7"));
    }

    [Test]
    public async Task A_background_child_holding_stdout_does_not_keep_the_session_open()
    {
        await using var client = await SpdyTestClient.ConnectAsync(ExecUrl(["sh", "-c", "sleep 30 & echo hi"], stderr: false), AllVersions);
        var error = await client.OpenAsync(("streamType", "error"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));
        var output = SpdyTestClient.ReadAllAsync(stdout);
        var status = JsonNode.Parse(await SpdyTestClient.ReadAllAsync(error).WaitAsync(TimeSpan.FromSeconds(20)))!;
        Assert.That((string?)status["status"], Is.EqualTo("Success"));
        Assert.That(Encoding.UTF8.GetString(await output.WaitAsync(TimeSpan.FromSeconds(20))), Is.EqualTo("hi\n"));
    }

    [Test]
    public async Task The_v1_protocol_reports_a_failed_exit_as_text()
    {
        await using var client = await SpdyTestClient.ConnectAsync(ExecUrl(["sh", "-c", "exit 2"], stderr: false));
        Assert.That(client.Protocol, Is.Empty);
        var error = await client.OpenAsync(("streamType", "error"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));
        _ = SpdyTestClient.ReadAllAsync(stdout);
        Assert.That(Encoding.UTF8.GetString(await SpdyTestClient.ReadAllAsync(error)), Does.Contain("non-zero exit code"));
    }

    [Test]
    public async Task A_url_works_only_once()
    {
        var url = ExecUrl(["true"], stderr: false);
        await using (var first = await SpdyTestClient.ConnectAsync(url, AllVersions))
        {
            var error = await first.OpenAsync(("streamType", "error"));
            var stdout = await first.OpenAsync(("streamType", "stdout"));
            _ = SpdyTestClient.ReadAllAsync(stdout);
            await SpdyTestClient.ReadAllAsync(error);
        }
        var second = Assert.ThrowsAsync<HttpRequestException>(() => SpdyTestClient.ConnectAsync(url, AllVersions));
        Assert.That(second!.Message, Does.Contain("404"));
    }

    [Test]
    public async Task An_unsupported_protocol_version_is_refused_with_the_accepted_ones()
    {
        var e = Assert.ThrowsAsync<HttpRequestException>(() => SpdyTestClient.ConnectAsync(ExecUrl(["true"]), "v9.channel.k8s.io"));
        Assert.That(e!.Message, Does.Contain("403"));
        Assert.That(e.Message, Does.Contain("X-Accepted-Stream-Protocol-Versions"));
        await Task.CompletedTask;
    }

    [Test]
    public async Task A_vanished_client_gets_its_process_killed()
    {
        var marker = $"sleep {Random.Shared.Next(200000, 300000)}";
        var client = await SpdyTestClient.ConnectAsync(ExecUrl(["sh", "-c", marker], stderr: false), AllVersions);
        await client.OpenAsync(("streamType", "error"));
        await client.OpenAsync(("streamType", "stdout"));
        Assert.That(await WaitForProcessAsync(marker, present: true), Is.True, "the exec'd process started");

        await client.DisposeAsync();

        Assert.That(await WaitForProcessAsync(marker, present: false), Is.True, "the exec'd process is gone after the client left");
    }

    static async Task<bool> WaitForProcessAsync(string commandLine, bool present)
    {
        for (var i = 0; i < 100; i++)
        {
            var ps = await Sh.RunAsync("runc", "--root", RuncRoot, "exec", ContainerId, "ps", "-o", "args");
            if (ps.Contains(commandLine) == present) return true;
            await Task.Delay(100);
        }
        return false;
    }
}
