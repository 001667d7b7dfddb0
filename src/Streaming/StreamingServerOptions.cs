namespace CriShim.Streaming;

/// <summary>Settings of the exec/attach/port-forward server (Address comes from options.Streaming.Address).</summary>
public sealed record StreamingServerOptions
{
    /// <summary>host:port to listen on; port 0 picks a free port. 0.0.0.0/:: listen everywhere and advertise loopback.</summary>
    public string Address { get; init; } = "127.0.0.1:0";
    /// <summary>A session with no traffic in either direction for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(4);
    /// <summary>How long a client has to open the streams a session needs after the upgrade.</summary>
    public TimeSpan StreamCreationTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a returned URL stays usable.</summary>
    public TimeSpan TokenTtl { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>At most this many URLs may be outstanding.</summary>
    public int MaxOutstandingRequests { get; init; } = 1000;
    /// <summary>
    /// After an exec'd process exits, how long its remaining output may take to reach the client. A safety net:
    /// conmon ends the output as soon as the process is gone, even if a background child still holds its stdout.
    /// </summary>
    public TimeSpan ExecOutputDrainTimeout { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>The conmon binary that runs and reaps exec'd processes.</summary>
    public string ConmonBinary { get; init; } = "conmon";
    /// <summary>Private per-exec directories (console sockets, pid files) go below this.</summary>
    public string ScratchDir { get; init; } = "/run/crishim/x";
}
