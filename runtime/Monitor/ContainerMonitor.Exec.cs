using System.Text.Json.Nodes;
using CriShim.Oci.Runc;
using Microsoft.Extensions.Logging;
using CriShim.Oci.Native;

namespace CriShim.Oci.Monitor;

public sealed partial class ContainerMonitor
{
    /// <summary>At most this much output (stdout and stderr together, first come) comes back from an exec: what fits in
    /// one 16 MiB gRPC message (kubelet's and our limit) with room for the rest of the response; the rest is dropped.</summary>
    public const int MaxExecOutputBytes = 16 * 1024 * 1024 - 4096;

    /// <summary>Runs <paramref name="args"/> in the running container with the container's own process settings
    /// (env, cwd, user, capabilities) and returns its exit code and output (stdout and stderr together capped at
    /// <paramref name="maxOutputBytes"/>, decoded while it is produced: nothing of it is stored, see
    /// <see cref="ExecOutputPipe"/>). Uses conmon --exec rather than a bare `runc exec`: an attached runc exec waits
    /// until every holder of the output pipes closed them, so `sh -c 'sleep 100 & echo hi'` would hang;
    /// conmon is the exec'd process' subreaper and returns as soon as that process exits.
    /// On timeout the process is killed and the result has TimedOut set. Throws <see cref="ContainerExecException"/>
    /// when the process could not be started.</summary>
    public async Task<ExecSyncResult> ExecSyncAsync(string id, IReadOnlyList<string> args, TimeSpan timeout,
        CancellationToken ct = default, int maxOutputBytes = MaxExecOutputBytes)
    {
        if (args.Count == 0) throw new ArgumentException("exec needs a command", nameof(args));
        var state = await _runc.StateAsync(id, ct)
                    ?? throw new ContainerExecException(id, "container not found", notFound: true);
        if (!state.IsRunning) throw new ContainerExecException(id, $"container is {state.Status}", notRunning: true);

        var work = Path.Combine(_settings.StateDir, "exec", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        using var output = new ExecOutputPipe(maxOutputBytes);
        try
        {
            var specPath = Path.Combine(work, "process.json");
            var pidFile = Path.Combine(work, "pid");
            await Specs.PrivateFile.WriteAllTextAsync(specPath, ExecProcessSpec(state.Bundle, args), ct);

            var conmonArgs = ConmonCommand.BuildExecArgs(_settings, id, specPath, pidFile, output.WriterPath);
            using var conmon = ConmonProcess.Start(_conmon, conmonArgs, work, Path.Combine(work, "conmon.stderr"));
            var timedOut = false;
            string? line;
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                if (timeout > TimeSpan.Zero) deadline.CancelAfter(timeout);
                try
                {
                    line = await conmon.ReadMessageAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    timedOut = true;
                    if (RuncClient.ReadPidFile(pidFile) is { } pid) LibC.kill(pid, Signals.SIGKILL);
                    // In a sandbox (runsc behind CriShim's shim) the process itself lives inside it, by this pid.
                    if (RuncClient.ReadPidFile(pidFile + ".internal") is { } inner)
                    {
                        try { await _runc.KillProcessAsync(id, inner, Signals.SIGKILL, CancellationToken.None); }
                        catch (RuncException e) { _log.LogDebug("killing exec pid {Pid} in {ContainerId}: {Message}", inner, id, e.Message); }
                    }
                    using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    try { line = await conmon.ReadMessageAsync(grace.Token); }
                    catch (OperationCanceledException) { line = null; }
                    ct.ThrowIfCancellationRequested();
                }
            }
            finally
            {
                if (!conmon.Process.HasExited)
                {
                    try { conmon.Process.Kill(); } catch (InvalidOperationException) { }
                }
                await conmon.Process.WaitForExitAsync(CancellationToken.None);
            }

            int code;
            if (line is null)
            {
                if (!timedOut)
                    throw new ContainerExecException(id, "conmon exited without an exit code: " + ReadText(Path.Combine(work, "conmon.stderr")));
                code = 137;
            }
            else
            {
                var (value, message) = ConmonCommand.ParseSyncMessage(line);
                if (value < 0 || (message is not null && !timedOut))
                    throw new ContainerExecException(id, RuncException.Clean(message ?? "runc exec failed"));
                code = value;
            }

            var decoded = await output.CompleteAsync();
            _log.LogDebug("exec in {ContainerId} exited {ExitCode} (timed out: {TimedOut}, output truncated: {Truncated})", id, code, timedOut, decoded.Truncated);
            return new ExecSyncResult(code, decoded.Stdout, decoded.Stderr, timedOut, decoded.Truncated);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The container's process from its config.json with other arguments and no terminal.</summary>
    internal static string ExecProcessSpec(string bundle, IReadOnlyList<string> args)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!.AsObject();
        var process = config["process"]?.DeepClone().AsObject() ?? new JsonObject();
        process["args"] = new JsonArray(args.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray());
        process["terminal"] = false;
        process.Remove("consoleSize");
        return process.ToJsonString();
    }
}
