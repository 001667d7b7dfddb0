using CriShim.Streaming;
using CriShim.Streaming.PortForward;
using static CriShim.Tests.Integration.Streaming.StreamingFixture;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>Clients that upgrade but do not finish creating their streams are dropped after the creation timeout.</summary>
public class StreamCreationTimeoutTests
{
    StreamingServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = new StreamingServer(new StreamingServerOptions { StreamCreationTimeout = TimeSpan.FromMilliseconds(300), ScratchDir = Path.Combine(Dir, "exec") },
            new NetNsPodDialer(), Logs, TimeProvider.System);
        await _server.StartAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    [Test]
    public async Task An_exec_client_that_opens_only_some_streams_is_disconnected()
    {
        var url = _server.UrlFor(new ExecStreamRequest(StreamingFixture.Container, ["true"], false, false, true, true));
        await using var client = await SpdyTestClient.ConnectAsync(url, "v4.channel.k8s.io");
        await client.OpenAsync(("streamType", "error"));
        await Task.Delay(Timeout.Infinite, client.Connection.Closed).ContinueWith(_ => { }, new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        Assert.That(client.Connection.Closed.IsCancellationRequested, Is.True);
    }

    [Test]
    public async Task A_port_forward_stream_without_its_partner_is_reset()
    {
        var url = _server.UrlFor(new PortForwardStreamRequest(Pod, [8080]));
        await using var client = await SpdyTestClient.ConnectAsync(url, "portforward.k8s.io");
        var data = await client.OpenAsync(("streamType", "data"), ("port", "8080"), ("requestID", "7"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.That(await data.ReadAsync(new byte[1], timeout.Token), Is.Zero);
        Assert.That(data.WasReset, Is.True);
        Assert.That(client.Connection.Closed.IsCancellationRequested, Is.False, "the session itself stays usable");
    }
}
