using System.Text.Json.Nodes;
using CriShim.Oci.Exec;
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
        var bundle = await RunningBundleAsync(id, ct);

        var work = Path.Combine(_settings.StateDir, "exec", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        using var output = new ExecOutputPipe(maxOutputBytes);
        try
        {
            var specPath = Path.Combine(work, "process.json");
            var pidFile = Path.Combine(work, "pid");
            await Specs.PrivateFile.WriteAllTextAsync(specPath, ExecProcessSpec(bundle, args, terminal: false), ct);

            var conmonArgs = ConmonCommand.BuildExecArgs(_settings, _runc, id, specPath, pidFile, output.WriterPath);
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
                code = ExitCodes.Killed;
            }
            else
            {
                var (value, message) = ConmonCommand.ParseSyncMessage(line);
                if (value < 0 || (message is not null && !timedOut))
                    throw new ContainerExecException(id, RuncException.Clean(message ?? ExitCodes.ExecFailed));
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

    /// <summary>Starts <paramref name="command"/> in the running container for an interactive exec (stdio over
    /// conmon's attach socket, see <see cref="ExecProcess"/>), with the container's own process settings, the
    /// runtime's global flags and the same conmon as <see cref="ExecSyncAsync"/>. <paramref name="scratchDir"/> is a
    /// private directory for the session, created here and removed when the process is disposed; keep it short (the
    /// attach socket below it must fit in a unix socket address). Throws <see cref="ContainerExecException"/> when the
    /// container is not running, <see cref="IOException"/> when conmon or runc could not start the process.</summary>
    public async Task<ExecProcess> StartExecAsync(string id, IReadOnlyList<string> command, bool tty, bool stdin,
        string scratchDir, CancellationToken ct)
    {
        if (command.Count == 0) throw new ArgumentException("exec needs a command", nameof(command));
        var bundle = await RunningBundleAsync(id, ct);
        var specPath = Path.Combine(scratchDir, "process.json");
        var pidFile = Path.Combine(scratchDir, "exec.pid");
        var conmonArgs = ConmonCommand.BuildExecAttachArgs(_settings, _runc, id, scratchDir, specPath, pidFile, tty, stdin);
        return await ExecProcess.StartAsync(_conmon, conmonArgs, ExecProcessSpec(bundle, command, tty),
            new ExecProcess.Session(id, scratchDir, specPath, pidFile, tty, stdin), _log, ct);
    }

    /// <summary>The bundle of a running container; <see cref="ContainerExecException"/> unless it runs. conmon's own
    /// records answer first: no exit recorded, its conmon alive and the socket directory's link to the bundle in
    /// place mean running, without a `runc state` (a runtime process per exec, ~7 ms of a ~60 ms ExecSync; should
    /// the container stop just now, `runc exec` refuses it). Anything else asks runc, which names the state.</summary>
    private async Task<string> RunningBundleAsync(string id, CancellationToken ct)
    {
        var linked = Path.Combine(_settings.SocketDir, id); // conmon links it to the bundle
        if (ReadExit(id) is null && MonitorPid(id) is not null && File.Exists(Path.Combine(linked, "config.json")))
            return linked;
        var state = await _runc.StateAsync(id, ct)
                    ?? throw new ContainerExecException(id, "container not found");
        if (!state.IsRunning) throw new ContainerExecException(id, $"container is {state.Status}");
        return state.Bundle;
    }

    /// <summary>The container's process from its config.json with other arguments and a terminal or none.</summary>
    internal static string ExecProcessSpec(string bundle, IReadOnlyList<string> args, bool terminal)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!.AsObject();
        var process = config["process"]?.DeepClone().AsObject() ?? new JsonObject();
        process["args"] = new JsonArray(args.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray());
        process["terminal"] = terminal;
        process.Remove("consoleSize");
        return process.ToJsonString();
    }
}
