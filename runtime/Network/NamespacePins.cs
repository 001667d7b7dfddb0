using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using CriShim.Oci.Runc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using CriShim.Oci.Native;

namespace CriShim.Oci.Network;

/// <summary>Creates a pod's network, IPC and UTS namespaces pinned to files (STATE/ns/POD/{net,ipc,uts}) without a
/// long-running process: util-linux `unshare --net=FILE ...` bind-mounts /proc/PID/ns/X onto each file, and the
/// command it runs inside sets the hostname, brings loopback up and writes the sysctls.</summary>
/// <remarks>A pod with a user namespace gets it pinned too (STATE/ns/POD/user), and its other namespaces are created
/// inside it so they belong to it: see NamespacePins.UserNamespace.cs.</remarks>
public sealed partial class NamespacePins
{
    private readonly string _root;
    private readonly ILogger _log;

    public NamespacePins(string stateDir, ILogger<NamespacePins>? logger = null)
    {
        _root = Path.GetFullPath(stateDir);
        _log = logger ?? NullLogger<NamespacePins>.Instance;
        Directory.CreateDirectory(_root);
    }

    public string UnshareBinary { get; init; } = "unshare";
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public string PodDir(string podId)
    {
        if (string.IsNullOrEmpty(podId) || podId.Contains('/') || podId is "." or "..")
            throw new ArgumentException($"invalid pod id '{podId}'", nameof(podId));
        return Path.Combine(_root, podId);
    }

    /// <summary>Creates the requested namespaces. On failure nothing is left behind.</summary>
    public async Task<PodNamespaces> CreateAsync(string podId, PodNamespaceRequest request, CancellationToken ct = default)
    {
        var dir = PodDir(podId);
        var setup = SetupCommand(request);
        if (request.User is { } user)
        {
            Specs.IdMaps.Validate(user.Uids, "uid mappings");
            Specs.IdMaps.Validate(user.Gids, "gid mappings");
        }
        Directory.CreateDirectory(dir);
        var result = new PodNamespaces(
            request.Network ? Path.Combine(dir, "net") : null,
            request.Ipc ? Path.Combine(dir, "ipc") : null,
            request.Uts ? Path.Combine(dir, "uts") : null,
            request.User is null ? null : Path.Combine(dir, "user"));
        if (request.User is not null) return await CreateInUserNamespaceAsync(podId, request.User, result, setup, ct);

        var args = new List<string>();
        foreach (var (flag, file) in new[] { ("--net", result.NetNs), ("--ipc", result.IpcNs), ("--uts", result.UtsNs) })
        {
            if (file is null) continue;
            if (IsMountPoint(file)) throw new InvalidOperationException($"namespace {file} already exists");
            await File.WriteAllBytesAsync(file, [], ct);
            args.Add($"{flag}={file}");
        }
        if (args.Count == 0) return result;
        args.Add("--");
        args.AddRange(setup);

        try
        {
            var r = await CommandRunner.RunAsync(new CommandSpec(UnshareBinary, args) { Timeout = Timeout }, ct);
            if (r.ExitCode != 0)
                throw new InvalidOperationException($"creating namespaces for pod {podId} failed: {r.StderrText.Trim()}");
        }
        catch
        {
            await RemoveAsync(podId, CancellationToken.None);
            throw;
        }
        _log.LogDebug("pinned namespaces of pod {PodId} in {Dir}", podId, dir);
        return result;
    }

    /// <summary>The command run inside the new namespaces: hostname, loopback, then the sysctls (each checked to
    /// belong to a namespace the pod owns).</summary>
    static List<string> SetupCommand(PodNamespaceRequest request)
    {
        var args = new List<string> { "/bin/sh", "-c", SetupScript, "sh", request.Uts ? request.Hostname ?? "" : "", request.Network && request.LoopbackUp ? "1" : "0" };
        foreach (var (key, value) in request.Sysctls)
        {
            var path = SysctlPath(key);
            var isNet = path.StartsWith("net/", StringComparison.Ordinal);
            var isIpc = path.StartsWith("kernel/shm", StringComparison.Ordinal) || path.StartsWith("kernel/msg", StringComparison.Ordinal)
                        || path == "kernel/sem" || path.StartsWith("fs/mqueue/", StringComparison.Ordinal);
            if ((isNet && !request.Network) || (isIpc && !request.Ipc) || (!isNet && !isIpc))
                throw new ArgumentException($"sysctl {key} is not namespaced in a namespace this pod owns");
            args.Add(path);
            args.Add(value);
        }
        return args;
    }

    /// <summary>Paths of the pins that exist for the pod (after a restart), or null when there are none.</summary>
    public PodNamespaces? Get(string podId)
    {
        var dir = PodDir(podId);
        string? P(string n) => IsMountPoint(Path.Combine(dir, n)) ? Path.Combine(dir, n) : null;
        var ns = new PodNamespaces(P("net"), P("ipc"), P("uts"), P("user"));
        return ns is { NetNs: null, IpcNs: null, UtsNs: null, UserNs: null } ? null : ns;
    }

    /// <summary>Unmounts (lazily: a container may still use it) and deletes every pin of the pod. Idempotent.</summary>
    public Task RemoveAsync(string podId, CancellationToken ct = default)
    {
        var dir = PodDir(podId);
        if (!Directory.Exists(dir)) return Task.CompletedTask;
        foreach (var file in Directory.GetFiles(dir))
        {
            // A file may carry stacked mounts if something went wrong before: unmount until it is a plain file.
            for (var i = 0; i < 8 && LibC.umount2(file, LibC.MNT_DETACH) == 0; i++) { }
            var errno = Marshal.GetLastWin32Error();
            if (IsMountPoint(file)) throw new IOException($"cannot unmount {file}: errno {errno}");
            File.Delete(file);
        }
        Directory.Delete(dir);
        return Task.CompletedTask;
    }

    /// <summary>True when <paramref name="path"/> is a mount point in this mount namespace.</summary>
    public static bool IsMountPoint(string path) => Rootfs.Unmounter.IsMountPoint(path);

    public static string SysctlPath(string key)
    {
        var path = key.Contains('/') ? key : key.Replace('.', '/');
        if (!SysctlName().IsMatch(path) || path.Split('/').Any(p => p is "" or "." or ".."))
            throw new ArgumentException($"invalid sysctl name '{key}'");
        return path;
    }


    [GeneratedRegex("^[A-Za-z0-9_./-]+$")]
    private static partial Regex SysctlName();

    // $1 hostname (may be empty; in a user namespace only sethostname(2) may set it, /proc/sys is the host root's), $2 "1" to bring lo up, then sysctl path/value pairs.
    private const string SetupScript = """
        set -e
        if [ -n "$1" ]; then printf '%s' "$1" 2>/dev/null > /proc/sys/kernel/hostname || hostname "$1"; fi
        if [ "$2" = 1 ]; then ip link set lo up; fi
        shift 2
        while [ $# -ge 2 ]; do printf '%s' "$2" > "/proc/sys/$1"; shift 2; done
        """;
}
