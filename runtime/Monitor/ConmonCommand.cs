using System.Globalization;
using System.Text.Json;
using CriShim.Oci.Runc;

namespace CriShim.Oci.Monitor;

/// <summary>Builds conmon 2.x command lines and reads what conmon writes back.</summary>
public static class ConmonCommand
{
    /// <summary>Arguments for creating a container. --sync keeps conmon a direct child of the daemon (one fork
    /// fewer, and the daemon reaps it); it still calls setsid itself and outlives the daemon.</summary>
    public static IReadOnlyList<string> BuildCreateArgs(MonitorSettings s, RuncClient runc, ContainerLaunchSpec spec, MonitorPaths paths)
    {
        var args = new List<string>
        {
            "--api-version",
            "--sync",
            "-c", spec.Id,
            "-n", spec.Name,
            "-u", spec.Id,
            "-r", runc.Binary,
            "-b", spec.BundlePath,
            "-p", paths.ContainerPidFile,
            "-l", "k8s-file:" + spec.LogPath,
            "--exit-dir", s.ExitDir,
            "--persist-dir", paths.PersistDir,
            "--socket-dir-path", s.SocketDir,
            "--log-level", s.LogLevel,
        };
        args.AddRange(RuntimeArgs(runc));
        if (spec.LogSizeMax is > 0)
            args.AddRange(["--log-size-max", spec.LogSizeMax.Value.ToString(CultureInfo.InvariantCulture)]);
        if (spec.Terminal)
        {
            args.Add("-t");
        }
        else if (spec.Stdin)
        {
            if (!spec.StdinOnce) args.Add("--leave-stdin-open");
            args.Add("-i");
        }
        return args;
    }

    /// <summary>Arguments for a synchronous exec (conmon's legacy exec API: one sync message with the exit code).
    /// runc runs `exec --detach`; conmon is the process' subreaper so it learns the exit code without waiting for
    /// the output pipes to close (a background child may keep them open).
    /// <paramref name="logPath"/> is where the output goes (k8s-file format), normally a pipe the caller reads.</summary>
    public static IReadOnlyList<string> BuildExecArgs(MonitorSettings s, RuncClient runc, string id, string processSpecPath, string pidFile, string logPath) =>
    [
        "-n", id,
        "-l", "k8s-file:" + logPath,
        "--no-sync-log", // the log is a pipe: nothing to fsync
        "--socket-dir-path", s.SocketDir,
        .. ExecArgs(s, runc, id, processSpecPath, pidFile),
    ];

    /// <summary>Arguments for an interactive exec (conmon's API 1 with --exec-attach): conmon creates an attach socket
    /// and ctl fifo in <paramref name="sessionDir"/> (named after it, as the session id), reports on the attach pipe
    /// once the socket listens, then on the sync pipe the pid and later the exit code. No log file: the output
    /// travels over the attach socket only (a file would grow without bound).</summary>
    public static IReadOnlyList<string> BuildExecAttachArgs(MonitorSettings s, RuncClient runc, string id, string sessionDir,
        string processSpecPath, string pidFile, bool tty, bool stdin)
    {
        var session = Path.GetFileName(sessionDir.TrimEnd('/'));
        return
        [
            "--api-version", "1",
            "--exec-attach",
            "-u", session,
            "-n", session,
            "-b", sessionDir,
            "-l", "none",
            "--exit-dir", Path.Combine(sessionDir, "exits"),
            "--socket-dir-path", Path.Combine(sessionDir, "s"),
            .. ExecArgs(s, runc, id, processSpecPath, pidFile),
            .. tty ? ["-t"] : Array.Empty<string>(),
            .. stdin ? ["-i"] : Array.Empty<string>(),
        ];
    }

    /// <summary>What every exec runs: `runc exec --detach --process SPEC --pid-file PID` with the runtime's global flags.</summary>
    private static IReadOnlyList<string> ExecArgs(MonitorSettings s, RuncClient runc, string id, string processSpecPath, string pidFile) =>
    [
        "--sync",
        "-c", id,
        "-r", runc.Binary,
        "-p", pidFile,
        "-e",
        "--exec-process-spec", processSpecPath,
        "--log-level", s.LogLevel,
        .. RuntimeArgs(runc),
    ];

    /// <summary>The runtime's global flags (its --root, then the handler's extra flags) as conmon --runtime-arg pairs.</summary>
    private static IEnumerable<string> RuntimeArgs(RuncClient runc) =>
        ["--runtime-arg", "--root=" + runc.Root, .. runc.ExtraGlobalArgs.SelectMany(a => new[] { "--runtime-arg", a })];

    /// <summary>Parses conmon's sync-pipe message: {"data": pid} (API 1) or {"pid": pid} (legacy);
    /// a negative value comes with a "message" holding runc's error.</summary>
    public static (int Value, string? Message) ParseSyncMessage(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        int value;
        if (root.TryGetProperty("data", out var d)) value = d.GetInt32();
        else if (root.TryGetProperty("pid", out var p)) value = p.GetInt32();
        else if (root.TryGetProperty("exit_code", out var e)) value = e.GetInt32();
        else throw new FormatException("conmon sync message without data: " + line);
        var message = root.TryGetProperty("message", out var m) ? m.GetString() : null;
        return (value, message);
    }

    /// <summary>Parses an exit file ("0", "137", "-1" when conmon could not tell).</summary>
    public static int? ParseExitFile(string text) =>
        int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) ? code : null;

    /// <summary>A control-fifo message: type 1 = resize (height width), 2 = reopen log files.</summary>
    public static string ControlMessage(int type, int height = 0, int width = 0) =>
        string.Create(CultureInfo.InvariantCulture, $"{type} {height} {width}\n");

    /// <summary>Quotes one word for /bin/sh.</summary>
    public static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
