using CriShim.Config;
using CriShim.Cri;
using CriShim.Host;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CriShim;

/// <summary>Wires the daemon: Kestrel on the CRI unix socket (HTTP/2), the CRI services and their dependencies.</summary>
public static class DaemonHost
{
    public static WebApplication Build(CriShimOptions options, string[]? args = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args ?? [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; o.UseUtcTimestamp = true; });
        builder.Logging.SetMinimumLevel(Enum.TryParse<LogLevel>(options.LogLevel, true, out var level) ? level : LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);

        // Before anything is touched: a second daemon on the same root/state must not take the live one's socket.
        var instance = InstanceLock.Acquire([options.Root, options.State]);
        PrivateDirectories.Prepare(options, options.Runtimes.Count > 0 ? options.Runtimes.Keys : RuntimeClasses.RuntimeClassOptions.Defaults(options.Runc).Keys);
        PrepareSocket(options.SocketPath);

        builder.WebHost.UseSockets(s => s.CreateBoundListenSocket = endpoint => BindListenSocket(endpoint, options.SocketPath));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ListenUnixSocket(options.SocketPath, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                l.Use(Http2AuthorityRewriter.Middleware);
            });
            k.Limits.MaxRequestBodySize = null;
            Metrics.MetricsEndpoint.Listen(k, options);
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(instance); // held (and kept from the GC) for the daemon's life
        builder.Services.AddGrpc(g =>
        {
            g.Interceptors.Add<ErrorInterceptor>();
            g.MaxReceiveMessageSize = 16 * 1024 * 1024;
            g.MaxSendMessageSize = 16 * 1024 * 1024;
        });
        Services.Register(builder.Services, options);

        var app = builder.Build();
        app.MapGrpcService<RuntimeServiceHandler>();
        app.MapGrpcService<ImageServiceHandler>();
        Metrics.MetricsEndpoint.Map(app, options);
        return app;
    }

    /// <summary>The CRI socket's mode: owner and group may connect, others not.</summary>
    public const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>
    /// Kestrel binds here and calls listen(2) only after this returns. The CRI socket gets its final mode between
    /// bind and listen: until listen, connect(2) is refused, and the kernel checks the socket file's mode at each
    /// connect, so no client ever connects under a wider mode. (A umask around bind would do the same, but the umask
    /// is process-wide: conmon, runc and every file the daemon's other threads create meanwhile would inherit it.)
    /// </summary>
    internal static System.Net.Sockets.Socket BindListenSocket(System.Net.EndPoint endpoint, string socketPath)
    {
        var socket = Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
        if (endpoint is System.Net.Sockets.UnixDomainSocketEndPoint unix && unix.ToString() == socketPath)
        {
            try { File.SetUnixFileMode(socketPath, SocketMode); }
            catch { socket.Dispose(); throw; }
        }
        return socket;
    }

    /// <summary>A socket file left by a killed daemon would make the bind fail: remove it, create its directory.</summary>
    static void PrepareSocket(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path)) File.Delete(path);
    }
}
