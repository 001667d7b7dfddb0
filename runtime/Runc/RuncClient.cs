using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Oci.Runc;

/// <summary>Async wrapper over the runc CLI with a private state root, so our containers never mix with other runc users.</summary>
public sealed class RuncClient
{
    private readonly ILogger _log;
    private readonly string _execDir;

    public RuncClient(string binary, string root, ILogger<RuncClient>? logger = null)
    {
        Binary = ResolveBinary(binary);
        Root = Path.GetFullPath(root);
        _execDir = Root.TrimEnd('/') + "-exec";
        _log = logger ?? NullLogger<RuncClient>.Instance;
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(_execDir);
    }

    /// <summary>Absolute path of runc (conmon wants one).</summary>
    public string Binary { get; }
    /// <summary>runc's --root.</summary>
    public string Root { get; }
    /// <summary>Time allowed for one quick runc command (state, kill, delete...).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Extra global flags of this runtime (e.g. a runsc platform), put after --root.</summary>
    public IReadOnlyList<string> ExtraGlobalArgs { get; init; } = [];

    /// <summary>The global arguments every runc call starts with.</summary>
    public IReadOnlyList<string> GlobalArgs => ["--root", Root, .. ExtraGlobalArgs];

    public Task CreateAsync(string id, string bundle, RuncCreateOptions? options = null, CancellationToken ct = default)
    {
        var args = new List<string> { "create", "--bundle", bundle };
        if (options?.PidFile is { } pf) args.AddRange(["--pid-file", pf]);
        if (options?.ConsoleSocket is { } cs) args.AddRange(["--console-socket", cs]);
        if (options?.NoPivot == true) args.Add("--no-pivot");
        args.Add(id);
        // The container's init inherits runc's stdio: give it /dev/null-like pipes we stop reading right after runc exits.
        return RunCheckedAsync(args, ct, drain: TimeSpan.FromMilliseconds(50));
    }

    public Task StartAsync(string id, CancellationToken ct = default) => RunCheckedAsync(["start", id], ct);

    /// <summary>The container's state, or null when runc does not know it.</summary>
    public async Task<RuncState?> StateAsync(string id, CancellationToken ct = default)
    {
        var r = await RunAsync(["state", id], ct).ConfigureAwait(false);
        if (r.ExitCode != 0)
        {
            var e = new RuncException("state", r.ExitCode, r.StderrText);
            if (e.IsNotFound) return null;
            throw e;
        }
        return RuncState.Parse(r.StdoutText);
    }

    /// <summary>Sends a signal to the init process (or with <paramref name="all"/> to every process of the container).</summary>
    public Task KillAsync(string id, int signal, bool all = false, CancellationToken ct = default) => KillAsync(id, signal, all, null, ct);

    /// <summary>Sends a signal to one process of the container by its pid inside the sandbox (runsc's `kill --pid`).</summary>
    public Task KillProcessAsync(string id, int sandboxPid, int signal, CancellationToken ct = default) => KillAsync(id, signal, false, sandboxPid, ct);

    private Task KillAsync(string id, int signal, bool all, int? pid, CancellationToken ct)
    {
        var args = new List<string> { "kill" };
        if (all) args.Add("--all");
        if (pid is { } p) args.Add("--pid=" + p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        args.Add(id);
        args.Add(signal.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return RunCheckedAsync(args, ct);
    }

    /// <summary>Deletes the container and its cgroup; a container runc does not know counts as deleted.</summary>
    public async Task DeleteAsync(string id, bool force = true, CancellationToken ct = default)
    {
        var args = new List<string> { "delete" };
        if (force) args.Add("--force");
        args.Add(id);
        var r = await RunAsync(args, ct).ConfigureAwait(false);
        if (r.ExitCode == 0) return;
        var e = new RuncException("delete", r.ExitCode, r.StderrText);
        if (e.IsNotFound) return;
        throw e;
    }

    public async Task<IReadOnlyList<RuncState>> ListAsync(CancellationToken ct = default)
    {
        var r = await RunAsync(["list", "--format", "json"], ct).ConfigureAwait(false);
        if (r.ExitCode != 0) throw new RuncException("list", r.ExitCode, r.StderrText);
        return RuncState.ParseList(r.StdoutText);
    }

    /// <summary>Host pids of the container's processes.</summary>
    public async Task<IReadOnlyList<int>> PsAsync(string id, CancellationToken ct = default)
    {
        var r = await RunAsync(["ps", "--format", "json", id], ct).ConfigureAwait(false);
        if (r.ExitCode != 0) throw new RuncException("ps", r.ExitCode, r.StderrText);
        var text = r.StdoutText.Trim();
        if (text is "" or "null") return [];
        return JsonSerializer.Deserialize(text, RuncJsonContext.Default.ListInt32) ?? [];
    }

    /// <summary>`runc update -r -`: <paramref name="linuxResourcesJson"/> is an OCI LinuxResources object.</summary>
    public Task UpdateAsync(string id, string linuxResourcesJson, CancellationToken ct = default) =>
        RunCheckedAsync(["update", "-r", "-", id], ct, stdin: Encoding.UTF8.GetBytes(linuxResourcesJson));

    /// <summary>Starts a detached exec (`runc exec -d`) and returns the host pid of the new process.</summary>
    public async Task<int> ExecDetachedAsync(string id, RuncExecOptions options, CancellationToken ct = default)
    {
        var pidFile = options.PidFile ?? NewExecFile(".pid");
        try
        {
            var args = BuildExecArgs(id, options with { PidFile = pidFile }, detach: true);
            await RunCheckedAsync(args, ct, drain: TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
            return ReadPidFile(pidFile) ?? throw new RuncException("exec", 0, "runc wrote no pid file");
        }
        finally
        {
            if (options.PidFile is null) TryDelete(pidFile);
        }
    }

    /// <summary>Starts an attached `runc exec` whose stdin/stdout/stderr are the returned process' redirected streams
    /// (for the streaming server). The caller owns the process and must wait for it.</summary>
    public Process StartExec(string id, RuncExecOptions options)
    {
        var psi = NewStartInfo(BuildExecArgs(id, options, detach: false));
        psi.RedirectStandardInput = psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        return Process.Start(psi) ?? throw new InvalidOperationException("runc exec did not start");
    }

    public List<string> BuildExecArgs(string id, RuncExecOptions o, bool detach)
    {
        var args = new List<string> { "exec" };
        if (detach) args.Add("--detach");
        if (o.PidFile is { } pf) args.AddRange(["--pid-file", pf]);
        if (o.Tty) args.Add("--tty");
        if (o.ConsoleSocket is { } cs) args.AddRange(["--console-socket", cs]);
        if (o.Cwd is { } cwd) args.AddRange(["--cwd", cwd]);
        if (o.User is { } user) args.AddRange(["--user", user]);
        foreach (var e in o.Env) args.AddRange(["--env", e]);
        if (o.ProcessJsonPath is { } p)
        {
            args.AddRange(["--process", p, id]);
        }
        else
        {
            if (o.Args is not { Count: > 0 }) throw new ArgumentException("exec needs arguments or a process spec");
            args.Add(id);
            args.AddRange(o.Args);
        }
        return args;
    }

    private ProcessStartInfo NewStartInfo(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(Binary) { UseShellExecute = false };
        foreach (var a in GlobalArgs) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    private async Task RunCheckedAsync(IReadOnlyList<string> args, CancellationToken ct, byte[]? stdin = null, TimeSpan? drain = null)
    {
        var r = await RunAsync(args, ct, stdin, drain).ConfigureAwait(false);
        if (r.ExitCode != 0) throw new RuncException(args[0], r.ExitCode, r.StderrText);
    }

    private async Task<CommandResult> RunAsync(IReadOnlyList<string> args, CancellationToken ct, byte[]? stdin = null, TimeSpan? drain = null)
    {
        var spec = new CommandSpec(Binary, [.. GlobalArgs, .. args])
        {
            Stdin = stdin,
            Timeout = CommandTimeout,
            DrainAfterExit = drain ?? TimeSpan.FromMilliseconds(500),
        };
        _log.LogDebug("runc {Args}", string.Join(' ', args));
        var r = await CommandRunner.RunAsync(spec, ct).ConfigureAwait(false);
        if (r.ExitCode != 0) _log.LogDebug("runc {Command} exited {ExitCode}: {Stderr}", args[0], r.ExitCode, r.StderrText.Trim());
        return r;
    }

    internal string NewExecFile(string suffix) => Path.Combine(_execDir, Guid.NewGuid().ToString("N") + suffix);

    internal static int? ReadPidFile(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return int.TryParse(text, out var pid) && pid > 0 ? pid : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Finds a bare command name on PATH so it can be handed to conmon as an absolute path.</summary>
    public static string ResolveBinary(string binary)
    {
        if (binary.Contains('/')) return Path.GetFullPath(binary);
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"]))
        {
            var candidate = Path.Combine(dir, binary);
            if (File.Exists(candidate)) return candidate;
        }
        return binary;
    }
}
