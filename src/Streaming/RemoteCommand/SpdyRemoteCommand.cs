using CriShim.Streaming.Spdy;

namespace CriShim.Streaming.RemoteCommand;

/// <summary>
/// Remote command over SPDY (protocols channel.k8s.io, v2..v4.channel.k8s.io): the client opens one stream per
/// stdio plus an error stream and (v3+, with a terminal) a resize stream, each named by its streamType header.
/// We wait for exactly the streams the request implies, within the stream creation timeout.
/// </summary>
public sealed class SpdyRemoteCommand : RemoteCommandStreams
{
    readonly SpdyConnection _connection;
    readonly SpdyStream _error;
    readonly bool _v4;

    SpdyRemoteCommand(SpdyConnection connection, Dictionary<string, SpdyStream> streams, bool v4, int maxResizeMessage)
    {
        MaxResizeMessageSize = maxResizeMessage;
        _connection = connection;
        _error = streams["error"];
        _v4 = v4;
        Stdin = streams.GetValueOrDefault("stdin");
        Stdout = streams.GetValueOrDefault("stdout");
        Stderr = streams.GetValueOrDefault("stderr");
        ResizeSource = streams.GetValueOrDefault("resize");
    }

    public override CancellationToken ClientGone => _connection.Closed;

    public static int ProtocolVersion(string protocol) => protocol switch
    {
        "v4.channel.k8s.io" => 4,
        "v3.channel.k8s.io" => 3,
        "v2.channel.k8s.io" => 2,
        _ => 1,
    };

    /// <summary>Waits for the streams; null when the client did not create them in time or went away.</summary>
    public static async Task<SpdyRemoteCommand?> AcceptAsync(SpdyConnection connection, string protocol,
        bool stdin, bool stdout, bool stderr, bool tty, TimeSpan creationTimeout, int maxResizeMessage, CancellationToken ct)
    {
        var version = ProtocolVersion(protocol);
        var expected = new HashSet<string> { "error" };
        if (stdin) expected.Add("stdin");
        if (stdout) expected.Add("stdout");
        if (stderr && !tty) expected.Add("stderr");
        if (tty && version >= 3) expected.Add("resize");

        var streams = new Dictionary<string, SpdyStream>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct, connection.Closed);
        deadline.CancelAfter(creationTimeout);
        try
        {
            while (!expected.SetEquals(streams.Keys))
            {
                var stream = await connection.AcceptedStreams.ReadAsync(deadline.Token);
                var type = stream.Headers.Get("streamtype") ?? "";
                if (expected.Contains(type) && !streams.ContainsKey(type)) streams[type] = stream;
                else await stream.ResetAsync();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            return null;
        }
        // Streams the client only reads from must still be drained so a stray DATA frame cannot stall the connection.
        foreach (var (type, stream) in streams)
            if (type is "stdout" or "stderr" or "error") _ = stream.CopyToAsync(Stream.Null, connection.Closed).ContinueWith(_ => { }, TaskScheduler.Default);
        _ = RefuseLateStreamsAsync(connection);
        return new SpdyRemoteCommand(connection, streams, version >= 4, maxResizeMessage);
    }

    static async Task RefuseLateStreamsAsync(SpdyConnection connection)
    {
        try
        {
            await foreach (var stream in connection.AcceptedStreams.ReadAllAsync(connection.Closed))
                await stream.ResetAsync();
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>RST_STREAM on the resize stream; the command itself goes on.</summary>
    protected override Task RefuseResizesAsync(string reason) =>
        ResizeSource is SpdyStream resize ? resize.ResetAsync(SpdyRstStatus.ProtocolError) : Task.CompletedTask;

    public override Task CloseOutputAsync(Stream output) =>
        output is SpdyStream s ? s.CloseWriteAsync() : Task.CompletedTask;

    public override async Task WriteStatusAsync(CommandStatus status)
    {
        var payload = _v4 ? status.ToV4Json() : status.ToV1Text();
        try
        {
            if (payload.Length > 0) await _error.WriteAsync(payload);
            await _error.CloseWriteAsync();
        }
        catch (IOException) { }
    }

    public override async ValueTask DisposeAsync() => await _connection.CloseAsync();
}
