using System.Net.WebSockets;
using CriShim.Streaming.PortForward;
using CriShim.Streaming.RemoteCommand;
using CriShim.Streaming.Spdy;
using CriShim.Streaming.WebSockets;
using Microsoft.AspNetCore.Http.Features;

namespace CriShim.Streaming;

/// <summary>
/// Serves one streaming URL: redeems the token, then speaks whichever protocol the client upgrades to —
/// SPDY/3.1 (X-Stream-Protocol-Version negotiation), WebSocket channels, or SPDY tunnelled in a WebSocket
/// (SPDY/3.1+portforward.k8s.io, as newer kubectl port-forward does). At most streaming.maxConcurrentSessions run
/// at once (more get 429 before their token is spent), and each ends after streaming.maxSessionDuration.
/// </summary>
sealed class StreamingEndpoint(StreamingServerOptions options, RequestCache cache, IPodDialer dialer, ILoggerFactory logs)
{
    public static readonly string[] SpdyRemoteCommandProtocols = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];
    public static readonly string[] SpdyPortForwardProtocols = ["portforward.k8s.io"];
    public const string SpdyOverWebSocketProtocol = "SPDY/3.1+portforward.k8s.io";

    readonly ILogger _log = logs.CreateLogger<StreamingEndpoint>();
    int _sessions;

    public async Task HandleAsync(HttpContext context, string kind, string token)
    {
        if (Interlocked.Increment(ref _sessions) > options.MaxConcurrentSessions)
        {
            Interlocked.Decrement(ref _sessions);
            _log.LogWarning("streaming {Kind} request refused: {MaxSessions} sessions already running (streaming.maxConcurrentSessions)", kind, options.MaxConcurrentSessions);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            await context.Response.WriteAsync($"too many concurrent streaming sessions (streaming.maxConcurrentSessions is {options.MaxConcurrentSessions}); retry later\n");
            return;
        }
        try { await HandleSessionAsync(context, kind, token); }
        finally { Interlocked.Decrement(ref _sessions); }
    }

    async Task HandleSessionAsync(HttpContext context, string kind, string token)
    {
        var request = cache.Consume(token);
        var matches = (kind, request) switch
        {
            ("exec", ExecStreamRequest) or ("attach", AttachStreamRequest) or ("portforward", PortForwardStreamRequest) => true,
            _ => false,
        };
        if (request is null || !matches)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync("streaming token not found or expired\n");
            return;
        }

        if (context.WebSockets.IsWebSocketRequest)
            await HandleWebSocketAsync(context, request);
        else if (IsSpdyUpgrade(context))
            await HandleSpdyAsync(context, request);
        else
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("streaming needs an upgrade to SPDY/3.1 or websocket\n");
        }
    }

    static bool IsSpdyUpgrade(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true &&
        context.Request.Headers.Upgrade.ToString().Contains("SPDY/3.1", StringComparison.OrdinalIgnoreCase);

    async Task HandleSpdyAsync(HttpContext context, StreamRequest request)
    {
        var supported = request is PortForwardStreamRequest ? SpdyPortForwardProtocols : SpdyRemoteCommandProtocols;
        var offered = context.Request.Headers["X-Stream-Protocol-Version"].ToArray();
        // Like the kubelet: the client's first supported preference wins; no header at all means the v1 protocol.
        var protocol = ProtocolNegotiation.Select(offered, supported);
        if (protocol is null)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.Headers["X-Accepted-Stream-Protocol-Versions"] = string.Join(",", supported);
            await context.Response.WriteAsync($"unable to upgrade: unable to negotiate protocol: client supports {string.Join(",", offered)}, server supports {string.Join(",", supported)}\n");
            return;
        }
        context.Response.Headers.Upgrade = "SPDY/3.1";
        if (protocol.Length > 0) context.Response.Headers["X-Stream-Protocol-Version"] = protocol;
        var transport = await context.Features.GetRequiredFeature<IHttpUpgradeFeature>().UpgradeAsync();
        await RunSpdyAsync(transport, protocol, request);
    }

    async Task RunSpdyAsync(Stream transport, string protocol, StreamRequest request)
    {
        await using var connection = new SpdyConnection(transport, isServer: true, logs.CreateLogger<SpdyConnection>(), options.IdleTimeout, options);
        using var deadline = SessionDeadline(connection.CloseAsync);
        var reading = connection.Start();
        try
        {
            switch (request)
            {
                case PortForwardStreamRequest forward:
                    await new SpdyPortForward(connection, forward, dialer, options.StreamCreationTimeout, logs.CreateLogger<SpdyPortForward>()).RunAsync();
                    break;
                case ExecStreamRequest exec:
                {
                    await using var streams = await SpdyRemoteCommand.AcceptAsync(connection, protocol, exec.Stdin, exec.Stdout, exec.Stderr, exec.Tty, options.StreamCreationTimeout, options.MaxResizeMessageSize, CancellationToken.None);
                    if (streams is null) { _log.LogInformation("exec: client did not create its streams in time"); return; }
                    await NewExec(exec).RunAsync(streams);
                    break;
                }
                case AttachStreamRequest attach:
                {
                    await using var streams = await SpdyRemoteCommand.AcceptAsync(connection, protocol, attach.Stdin, attach.Stdout, attach.Stderr, attach.Tty, options.StreamCreationTimeout, options.MaxResizeMessageSize, CancellationToken.None);
                    if (streams is null) { _log.LogInformation("attach: client did not create its streams in time"); return; }
                    await new AttachSession(attach, logs.CreateLogger<AttachSession>()).RunAsync(streams);
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            _log.LogDebug("SPDY session ended: {Error}", e.Message);
        }
        finally
        {
            await connection.CloseAsync();
            await reading;
        }
    }

    async Task HandleWebSocketAsync(HttpContext context, StreamRequest request)
    {
        var offered = context.WebSockets.WebSocketRequestedProtocols;
        if (request is PortForwardStreamRequest tunnelled && offered.Contains(SpdyOverWebSocketProtocol))
        {
            using var ws = await AcceptUncheckedAsync(context, SpdyOverWebSocketProtocol);
            await using var tunnel = WebSocketStream.Create(ws, WebSocketMessageType.Binary, ownsWebSocket: false);
            await RunSpdyAsync(tunnel, "portforward.k8s.io", tunnelled);
            return;
        }

        var supported = request is PortForwardStreamRequest ? WebSocketPortForward.Protocols : WebSocketRemoteCommand.Protocols;
        var protocol = ProtocolNegotiation.Select(offered, supported);
        if (protocol is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"requested protocol(s) are not supported: {string.Join(",", offered)}; supports {string.Join(",", supported)}\n");
            return;
        }

        List<int>? ports = null;
        if (request is PortForwardStreamRequest portRequest)
        {
            ports = ParsePorts(context.Request.Query["ports"]) ?? portRequest.Ports.ToList();
            if (ports.Count == 0 || ports.Any(p => p is < 1 or > 65535))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync("query parameter \"ports\" is required and must hold ports 1-65535\n");
                return;
            }
        }

        var socket = await context.WebSockets.AcceptWebSocketAsync(protocol.Length == 0 ? null : protocol);
        await using var channels = new ChannelWebSocket(socket, protocol, logs.CreateLogger<ChannelWebSocket>(), options.IdleTimeout, options.MaxWebSocketMessageSize);
        using var deadline = SessionDeadline(() => channels.RefuseAsync("session reached streaming.maxSessionDuration"));
        try
        {
            switch (request)
            {
                case PortForwardStreamRequest forward:
                    await new WebSocketPortForward(channels, forward, ports!, dialer, logs.CreateLogger<WebSocketPortForward>()).RunAsync();
                    break;
                case ExecStreamRequest exec:
                {
                    await using var streams = new WebSocketRemoteCommand(channels, exec.Stdin, exec.Stdout, exec.Stderr, exec.Tty, options.MaxResizeMessageSize);
                    await streams.AnnounceAsync();
                    await NewExec(exec).RunAsync(streams);
                    break;
                }
                case AttachStreamRequest attach:
                {
                    await using var streams = new WebSocketRemoteCommand(channels, attach.Stdin, attach.Stdout, attach.Stderr, attach.Tty, options.MaxResizeMessageSize);
                    await streams.AnnounceAsync();
                    await new AttachSession(attach, logs.CreateLogger<AttachSession>()).RunAsync(streams);
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or WebSocketException)
        {
            _log.LogDebug("WebSocket session ended: {Error}", e.Message);
            socket.Abort();
        }
    }

    /// <summary>
    /// Completes a WebSocket handshake by hand: "SPDY/3.1+portforward.k8s.io" is not an RFC 6455 token ('/'),
    /// so .NET's WebSocket API refuses to name it, yet kubectl asks for exactly that subprotocol.
    /// </summary>
    static async Task<WebSocket> AcceptUncheckedAsync(HttpContext context, string subProtocol)
    {
        var key = context.Request.Headers.SecWebSocketKey.ToString();
        var accept = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(
            System.Text.Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = accept;
        context.Response.Headers.SecWebSocketProtocol = subProtocol;
        var stream = await context.Features.GetRequiredFeature<IHttpUpgradeFeature>().UpgradeAsync();
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
    }

    /// <summary>Ends the session (<paramref name="expire"/>) once it has run for streaming.maxSessionDuration.</summary>
    IDisposable? SessionDeadline(Func<Task> expire)
    {
        if (options.MaxSessionDuration <= TimeSpan.Zero) return null;
        var deadline = new CancellationTokenSource(options.MaxSessionDuration);
        deadline.Token.Register(() =>
        {
            _log.LogInformation("streaming session reached streaming.maxSessionDuration ({MaxSessionDuration}), closing it", options.MaxSessionDuration);
            _ = Task.Run(expire);
        });
        return deadline;
    }

    ExecSession NewExec(ExecStreamRequest exec) =>
        new(exec, Path.Combine(options.ScratchDir, Guid.NewGuid().ToString("N")[..16]), options.ExecOutputDrainTimeout, logs.CreateLogger<ExecSession>());

    static List<int>? ParsePorts(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count == 0) return null;
        var ports = new List<int>();
        foreach (var value in values)
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries))
                ports.Add(int.TryParse(part, out var port) ? port : -1);
        return ports;
    }
}
