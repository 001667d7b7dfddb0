using CriShim.Streaming.WebSockets;

namespace CriShim.Streaming.RemoteCommand;

/// <summary>
/// Remote command over WebSocket channels: 0 stdin, 1 stdout, 2 stderr, 3 error (status), 4 resize.
/// v4/v5 write the JSON status, older protocols the error text only.
/// </summary>
public sealed class WebSocketRemoteCommand : RemoteCommandStreams
{
    public static readonly string[] Protocols =
        ["v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io"];

    const byte StdinChannel = 0, StdoutChannel = 1, StderrChannel = 2, ErrorChannel = 3, ResizeChannel = 4;
    readonly ChannelWebSocket _socket;
    readonly Task _receive;

    public WebSocketRemoteCommand(ChannelWebSocket socket, bool stdin, bool stdout, bool stderr, bool tty, int maxResizeMessage)
    {
        _socket = socket;
        MaxResizeMessageSize = maxResizeMessage;
        socket.LimitMessages(ResizeChannel, maxResizeMessage);
        Stdin = stdin ? socket.Input(StdinChannel) : null;
        Stdout = stdout ? socket.Output(StdoutChannel) : null;
        Stderr = stderr && !tty ? socket.Output(StderrChannel) : null;
        ResizeSource = tty ? socket.Input(ResizeChannel) : null;
        _receive = socket.RunAsync();
    }

    public override CancellationToken ClientGone => _socket.Gone;

    /// <summary>Like the kubelet, an empty message on the lowest output channel tells the client the session is up.</summary>
    public Task AnnounceAsync() =>
        _socket.SendAsync(Stdout is not null ? StdoutChannel : Stderr is not null ? StderrChannel : ErrorChannel, ReadOnlyMemory<byte>.Empty, ClientGone);

    public override Task CloseOutputAsync(Stream output) => Task.CompletedTask;

    /// <summary>A WebSocket cannot reset one channel: the whole session is closed with a policy violation.</summary>
    protected override Task RefuseResizesAsync(string reason) => _socket.RefuseAsync(reason);

    public override async Task WriteStatusAsync(CommandStatus status)
    {
        var v4 = _socket.Protocol.StartsWith("v4.", StringComparison.Ordinal) || _socket.Protocol.StartsWith("v5.", StringComparison.Ordinal);
        var payload = v4 ? status.ToV4Json() : status.ToV1Text();
        try { if (payload.Length > 0) await _socket.SendAsync(ErrorChannel, payload, CancellationToken.None); }
        catch (IOException) { }
    }

    public override async ValueTask DisposeAsync()
    {
        await _socket.CloseAsync();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _receive.WaitAsync(grace.Token); } catch (OperationCanceledException) { }
        await _socket.DisposeAsync();
    }
}
