using CriShim.Oci.Exec;
using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using Microsoft.Extensions.Logging;

namespace CriShim.Streaming.RemoteCommand;

/// <summary>
/// Runs one exec: starts the process, pumps stdio and terminal sizes, reports the exit code on the error
/// stream. If the client disappears the process is killed and reaped.
/// </summary>
public sealed class ExecSession(ExecStreamRequest request, string scratchDir, TimeSpan drainTimeout, ILogger log)
{
    public async Task RunAsync(RemoteCommandStreams client)
    {
        var container = request.Container;
        ExecProcess process;
        try
        {
            process = await container.Monitor.StartExecAsync(container.RuncId, request.Command, request.Tty,
                request.Stdin && client.Stdin is not null, scratchDir, client.ClientGone);
        }
        catch (Exception e) when (e is IOException or ContainerExecException or RuncException or System.ComponentModel.Win32Exception
                                      or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            if (client.ClientGone.IsCancellationRequested) return;
            log.LogWarning("exec in {ContainerId} failed to start: {Error}", container.Id, e.Message);
            await client.WriteStatusAsync(CommandStatus.Failed($"error executing command in container: {e.Message}"));
            return;
        }

        await using (process)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(client.ClientGone);
            var resizes = Task.Run(async () =>
            {
                await foreach (var size in client.ResizesAsync(log, stop.Token)) process.Resize(size);
            }, CancellationToken.None);
            var stdin = Task.Run(() => PumpStdinAsync(client.Stdin, process, stop.Token), CancellationToken.None);
            var stdout = Pump(process.Stdout, client.Stdout, stop.Token);
            var stderr = process.Stderr is null ? Task.CompletedTask : Pump(process.Stderr, client.Stderr, stop.Token);

            int exitCode;
            try
            {
                exitCode = await process.WaitForExitAsync(client.ClientGone);
            }
            catch (OperationCanceledException)
            {
                log.LogInformation("exec client for {ContainerId} went away: killing the process", container.Id);
                process.Kill();
                await stop.CancelAsync();
                await Task.WhenAll(Quiet(stdout), Quiet(stderr), Quiet(stdin), Quiet(resizes));
                return;
            }
            catch (IOException e)
            {
                await client.WriteStatusAsync(CommandStatus.Failed($"error executing command in container: {e.Message}"));
                return;
            }

            try { await Task.WhenAll(stdout, stderr).WaitAsync(drainTimeout, client.ClientGone); }
            catch (TimeoutException) { log.LogDebug("exec output still open after the process exited; closing it"); }
            catch (OperationCanceledException) { return; }
            await stop.CancelAsync();
            if (client.Stdout is not null) await client.CloseOutputAsync(client.Stdout);
            if (client.Stderr is not null) await client.CloseOutputAsync(client.Stderr);
            log.LogDebug("exec in {ContainerId} exited with {ExitCode}", container.Id, exitCode);
            await client.WriteStatusAsync(new CommandStatus(exitCode));
            await Task.WhenAll(Quiet(stdin), Quiet(resizes));
        }
    }

    static async Task PumpStdinAsync(Stream? from, ExecProcess process, CancellationToken ct)
    {
        if (from is null || process.Stdin is null) return;
        try { await from.CopyToAsync(process.Stdin, ct); }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
        // End of the client's stdin is end of the process's stdin (a terminal has no such thing: leave it).
        if (!process.Tty) try { process.Stdin.Dispose(); } catch (IOException) { }
    }

    /// <summary>Copies process output to the client; a missing client stream still drains the pipe.</summary>
    static async Task Pump(Stream from, Stream? to, CancellationToken ct)
    {
        var buffer = new byte[32 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, ct);
                if (n == 0) return;
                if (to is not null) await to.WriteAsync(buffer.AsMemory(0, n), ct);
            }
        }
        // A pty master reads EIO once the last slave closes: that is its end of output.
        catch (IOException) { }
        catch (ObjectDisposedException) { }
    }

    static async Task Quiet(Task task)
    {
        try { await task; } catch (Exception) { }
    }
}
