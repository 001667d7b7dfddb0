using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Oci.Runc;

/// <summary>Async wrapper over the runc CLI with a private state root, so our containers never mix with other runc users.</summary>
public sealed class RuncClient
{
    /// <summary>Time allowed for one quick runc command (state, kill, delete...).</summary>
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly ILogger _log;

    public RuncClient(string binary, string root, ILogger<RuncClient>? logger = null)
    {
        Binary = ResolveBinary(binary);
        Root = Path.GetFullPath(root);
        _log = logger ?? NullLogger<RuncClient>.Instance;
        Directory.CreateDirectory(Root);
    }

    /// <summary>Absolute path of runc (conmon wants one).</summary>
    public string Binary { get; }
    /// <summary>runc's --root.</summary>
    public string Root { get; }
    /// <summary>Extra global flags of this runtime (e.g. a runsc platform), put after --root.</summary>
    public IReadOnlyList<string> ExtraGlobalArgs { get; init; } = [];

    /// <summary>The global arguments every runc call starts with.</summary>
    public IReadOnlyList<string> GlobalArgs => ["--root", Root, .. ExtraGlobalArgs];

    public Task StartAsync(string id, CancellationToken ct = default) => RunCheckedAsync(["start", id], ct);

    /// <summary>The container's state, or null when runc does not know it.</summary>
    public async Task<RuncState?> StateAsync(string id, CancellationToken ct = default)
    {
        var r = await RunAsync(["state", id], ct);
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
        var r = await RunAsync(args, ct);
        if (r.ExitCode == 0) return;
        var e = new RuncException("delete", r.ExitCode, r.StderrText);
        if (e.IsNotFound) return;
        throw e;
    }

    public async Task<IReadOnlyList<RuncState>> ListAsync(CancellationToken ct = default)
    {
        var r = await RunAsync(["list", "--format", "json"], ct);
        if (r.ExitCode != 0) throw new RuncException("list", r.ExitCode, r.StderrText);
        return RuncState.ParseList(r.StdoutText);
    }

    private async Task RunCheckedAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var r = await RunAsync(args, ct);
        if (r.ExitCode != 0) throw new RuncException(args[0], r.ExitCode, r.StderrText);
    }

    private async Task<CommandResult> RunAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var spec = new CommandSpec(Binary, [.. GlobalArgs, .. args]) { Timeout = CommandTimeout };
        _log.LogDebug("runc {Args}", string.Join(' ', args));
        var r = await CommandRunner.RunAsync(spec, ct);
        if (r.ExitCode != 0) _log.LogDebug("runc {Command} exited {ExitCode}: {Stderr}", args[0], r.ExitCode, r.StderrText.Trim());
        return r;
    }

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
