using CriShim.Streaming;
using CriShim.Streaming.PortForward;
using static CriShim.Tests.Integration.Streaming.StreamingFixture;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>A server-wide cap on concurrent sessions: the next client gets 429 and keeps its URL for later.</summary>
public class ConcurrentSessionLimitTests
{
    const int MaxSessions = 2;
    StreamingServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = new StreamingServer(new StreamingServerOptions { MaxConcurrentSessions = MaxSessions, ScratchDir = Path.Combine(Dir, "exec") },
            new NetNsPodDialer(), Logs, TimeProvider.System);
        await _server.StartAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    string ForwardUrl() => _server.UrlFor(new PortForwardStreamRequest(Pod, [8080]));

    [Test]
    public async Task A_session_beyond_the_server_wide_limit_is_refused_with_429_and_its_url_works_once_a_slot_frees()
    {
        var sessions = new List<SpdyTestClient>();
        for (var i = 0; i < MaxSessions; i++) sessions.Add(await SpdyTestClient.ConnectAsync(ForwardUrl(), "portforward.k8s.io"));
        var url = ForwardUrl();
        var refused = Assert.ThrowsAsync<HttpRequestException>(() => SpdyTestClient.ConnectAsync(url, "portforward.k8s.io"));
        Assert.That(refused!.Message, Does.Contain("429"));

        await sessions[0].DisposeAsync();
        SpdyTestClient? admitted = null;
        for (var attempt = 0; admitted is null && attempt < 50; attempt++)
        {
            try { admitted = await SpdyTestClient.ConnectAsync(url, "portforward.k8s.io"); }
            catch (HttpRequestException e) when (e.Message.Contains("429")) { await Task.Delay(100); }
        }
        Assert.That(admitted, Is.Not.Null, "the refused URL is still good once a session ended");
        await admitted!.DisposeAsync();
        await sessions[1].DisposeAsync();
    }
}
