using System.Net;
using CriShim.Streaming.PortForward;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CriShim.Streaming;

/// <summary>
/// The streaming server: its own Kestrel instance on a TCP address (HTTP/1.1, for SPDY upgrades and WebSockets),
/// separate from the CRI socket's HTTP/2 endpoint, started and stopped with the daemon as a hosted service.
/// CRI handlers park validated requests here and hand out URLs {BaseUrl}{exec|attach|portforward}/{token}.
/// Tests run it standalone: construct, StartAsync, use BaseUrl, DisposeAsync.
/// </summary>
public sealed class StreamingServer : IHostedService, IAsyncDisposable
{
    readonly StreamingServerOptions _options;
    readonly IPodDialer _dialer;
    readonly ILoggerFactory _logs;
    readonly ILogger _log;
    WebApplication? _app;
    Uri? _baseUrl;

    public StreamingServer(StreamingServerOptions options, IPodDialer dialer, ILoggerFactory logs, TimeProvider time)
    {
        options.Validate();
        _options = options;
        _dialer = dialer;
        _logs = logs;
        _log = logs.CreateLogger<StreamingServer>();
        Cache = new RequestCache(time, options.TokenTtl, options.MaxOutstandingRequests);
    }

    public RequestCache Cache { get; }

    /// <summary>e.g. http://127.0.0.1:41234/ — known once started.</summary>
    public Uri BaseUrl => _baseUrl ?? throw new InvalidOperationException("the streaming server is not started");

    /// <summary>Parks a request and returns its single-use URL. Throws <see cref="RequestCacheFullException"/>.</summary>
    public string UrlFor(StreamRequest request)
    {
        var kind = request switch
        {
            ExecStreamRequest => "exec",
            AttachStreamRequest => "attach",
            PortForwardStreamRequest => "portforward",
            _ => throw new ArgumentException($"unknown stream request {request.GetType().Name}"),
        };
        return new Uri(BaseUrl, $"{kind}/{Cache.Insert(request)}").ToString();
    }

    public async Task StartAsync(CancellationToken ct)
    {
        if (_app is not null) return;
        var endpoint = ParseAddress(_options.Address);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_logs);
        // The daemon's host owns signals and shutdown; this inner host only follows it.
        builder.Services.AddSingleton<IHostLifetime, FollowerLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(endpoint, l => l.Protocols = HttpProtocols.Http1);
            k.Limits.MaxRequestBodySize = 0;
            // Sessions may sit quiet for hours (a shell at its prompt): our idle timeout governs, not data rates.
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.MinResponseDataRate = null;
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        // Keep-alive pings are the client's job (client-go sends them); Kestrel answers them.
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        var handler = new StreamingEndpoint(_options, Cache, _dialer, _logs);
        foreach (var kind in new[] { "exec", "attach", "portforward" })
            app.Map($"/{kind}/{{token}}", (HttpContext context, string token) => ServeAsync(handler, context, kind, token));
        await app.StartAsync(ct);
        _app = app;

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var bound = new Uri(address);
        var host = endpoint.Address.Equals(IPAddress.Any) ? "127.0.0.1"
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? "[::1]"
            : endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString();
        _baseUrl = new Uri($"http://{host}:{bound.Port}/");
        _log.LogInformation("streaming server listening on {BaseUrl}", _baseUrl);
    }

    async Task ServeAsync(StreamingEndpoint handler, HttpContext context, string kind, string token)
    {
        try { await handler.HandleAsync(context, kind, token); }
        catch (Exception e)
        {
            _log.LogError(e, "streaming {Kind} request failed", kind);
            if (!context.Response.HasStarted) context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (_app is null) return;
        await _app.StopAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
            try { await _app.StopAsync(timeout.Token); } catch (OperationCanceledException) { }
        await _app.DisposeAsync();
        _app = null;
    }

    internal static IPEndPoint ParseAddress(string address)
    {
        if (IPEndPoint.TryParse(address, out var endpoint)) return endpoint;
        var colon = address.LastIndexOf(':');
        if (colon > 0 && int.TryParse(address[(colon + 1)..], out var port))
        {
            var host = address[..colon];
            var ip = host == "localhost" ? IPAddress.Loopback : Dns.GetHostAddresses(host).First();
            return new IPEndPoint(ip, port);
        }
        throw new FormatException($"streaming address {address} is not host:port");
    }

    sealed class FollowerLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken ct) => Task.CompletedTask;
        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
