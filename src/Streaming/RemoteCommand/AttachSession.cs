using CriShim.Oci.Exec;
using Microsoft.Extensions.Logging;

namespace CriShim.Streaming.RemoteCommand;

/// <summary>
/// Connects a client to a running container's stdio through conmon's attach socket. The session ends when the
/// container exits (conmon closes the socket) or the client leaves; either way the container is left as it is.
/// </summary>
public sealed class AttachSession(AttachStreamRequest request, ILogger log)
{
    public async Task RunAsync(RemoteCommandStreams client)
    {
        var container = request.Container;
        ConmonAttachment attachment;
        try
        {
            attachment = await ConmonAttachment.ConnectAsync(container.AttachSocketPath, container.ControlFifoPath, log, client.ClientGone);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            log.LogWarning("attach to {ContainerId} failed: {Error}", container.Id, e.Message);
            await client.WriteStatusAsync(CommandStatus.Failed($"error attaching to container: {e.Message}"));
            return;
        }

        await using (attachment)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(client.ClientGone);
            var resizes = Task.Run(async () =>
            {
                await foreach (var size in client.ResizesAsync(log, stop.Token)) await attachment.ResizeAsync(size, stop.Token);
            }, CancellationToken.None);
            // A container started without stdin has no pipe behind conmon's socket: what the client types is dropped.
            var stdin = client.Stdin is null ? Task.CompletedTask
                : container.Stdin ? Task.Run(() => attachment.CopyInputAsync(client.Stdin, stop.Token), CancellationToken.None)
                : client.Stdin.CopyToAsync(Stream.Null, stop.Token);
            try
            {
                await attachment.CopyOutputAsync(client.Stdout, client.Stderr, stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                log.LogDebug("attach to {ContainerId} ended: {Error}", container.Id, e.Message);
            }
            await stop.CancelAsync();
            foreach (var task in new[] { stdin, resizes })
                try { await task; } catch (Exception) { }
            if (client.ClientGone.IsCancellationRequested) return;
            if (client.Stdout is not null) await client.CloseOutputAsync(client.Stdout);
            if (client.Stderr is not null) await client.CloseOutputAsync(client.Stderr);
            await client.WriteStatusAsync(CommandStatus.Success);
        }
    }
}
