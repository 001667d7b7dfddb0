namespace CriShim.Streaming;

/// <summary>
/// Settings and limits of the exec/attach/port-forward server, bound from the "streaming" section of the daemon's
/// config (README, Configuration). Every limit protects the daemon from one client: a violation closes that
/// client's stream or connection (SPDY RST_STREAM/GOAWAY, WebSocket close 1008) and the server keeps serving others.
/// </summary>
public sealed record StreamingServerOptions
{
    /// <summary>host:port to listen on; port 0 picks a free port. 0.0.0.0/:: listen everywhere and advertise loopback.</summary>
    public string Address { get; set; } = "127.0.0.1:0";
    /// <summary>A session with no traffic in either direction for this long is closed (the kubelet's default too).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(4);
    /// <summary>How long a client has to open the streams a session needs after the upgrade (the kubelet's default).</summary>
    public TimeSpan StreamCreationTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Any session, busy or not, is closed after this long; zero means no limit.</summary>
    public TimeSpan MaxSessionDuration { get; set; } = TimeSpan.FromHours(24);
    /// <summary>How long a returned URL stays usable (the kubelet's one minute).</summary>
    public TimeSpan TokenTtl { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>At most this many URLs may be outstanding; more are refused with ResourceExhausted (the kubelet's 1000).</summary>
    public int MaxOutstandingRequests { get; set; } = 1000;
    /// <summary>Streaming sessions served at once, server-wide; more are refused with HTTP 429 before the upgrade.</summary>
    public int MaxConcurrentSessions { get; set; } = 128;

    /// <summary>
    /// Largest SPDY control frame (SYN_STREAM, SETTINGS...) accepted; larger ones are refused before anything is
    /// allocated. DATA frames are never buffered whole, so they may use the protocol's 16 MiB.
    /// </summary>
    public int MaxControlFrameSize { get; set; } = 64 * 1024;
    /// <summary>Largest SPDY header block after inflating it: a zlib bomb is cut off at this size.</summary>
    public int MaxHeaderBlockSize { get; set; } = 64 * 1024;
    /// <summary>
    /// Once a SPDY frame has begun, each further piece of it must arrive within this long: a client that sends a
    /// frame header and stalls loses its connection instead of holding it open.
    /// </summary>
    public TimeSpan FrameReadTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Concurrent SPDY streams on one connection (a port-forwarded connection takes two); more are refused.</summary>
    public int MaxStreamsPerConnection { get; set; } = 256;
    /// <summary>Largest terminal resize message (a JSON value like {"Width":80,"Height":24}).</summary>
    public int MaxResizeMessageSize { get; set; } = 4 * 1024;
    /// <summary>Largest WebSocket message (the kubelet's limit is 32 MiB); messages are streamed, not buffered whole.</summary>
    public int MaxWebSocketMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// After an exec'd process exits, how long its remaining output may take to reach the client. A safety net:
    /// conmon ends the output as soon as the process is gone, even if a background child still holds its stdout.
    /// </summary>
    public TimeSpan ExecOutputDrainTimeout { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Private per-exec directories (console sockets, pid files) go below this (the daemon sets it below "state").</summary>
    public string ScratchDir { get; set; } = "/run/crishim/x";

    /// <summary>Throws when a limit makes no sense, naming the setting as the config file spells it.</summary>
    public void Validate()
    {
        static string Key(string name) => $"streaming.{char.ToLowerInvariant(name[0])}{name[1..]}";
        static void Positive(string name, long value)
        {
            if (value <= 0) throw new ArgumentException($"{Key(name)} must be positive, not {value}");
        }
        Positive(nameof(MaxOutstandingRequests), MaxOutstandingRequests);
        Positive(nameof(MaxConcurrentSessions), MaxConcurrentSessions);
        Positive(nameof(MaxControlFrameSize), MaxControlFrameSize);
        Positive(nameof(MaxHeaderBlockSize), MaxHeaderBlockSize);
        Positive(nameof(MaxStreamsPerConnection), MaxStreamsPerConnection);
        Positive(nameof(MaxResizeMessageSize), MaxResizeMessageSize);
        Positive(nameof(MaxWebSocketMessageSize), MaxWebSocketMessageSize);
        Positive(nameof(TokenTtl), TokenTtl.Ticks);
        Positive(nameof(StreamCreationTimeout), StreamCreationTimeout.Ticks);
        Positive(nameof(FrameReadTimeout), FrameReadTimeout.Ticks);
        if (IdleTimeout < TimeSpan.Zero) throw new ArgumentException($"{Key(nameof(IdleTimeout))} must not be negative");
        if (MaxSessionDuration < TimeSpan.Zero) throw new ArgumentException($"{Key(nameof(MaxSessionDuration))} must not be negative");
    }
}
