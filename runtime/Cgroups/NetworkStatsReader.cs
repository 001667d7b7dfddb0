using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mono.Unix.Native;
using CriShim.Oci.Native;

namespace CriShim.Oci.Cgroups;

/// <summary>
/// Reads per-interface counters of a pod's network namespace. /proc/net and /sys/class/net show the namespace
/// of the reader, so the netns-file variant enters the namespace on a dedicated thread (setns only moves the
/// calling thread), reads /proc/thread-self/net/dev there, and moves the thread back before it ends.
/// </summary>
public sealed class NetworkStatsReader(ILogger<NetworkStatsReader>? logger = null, TimeProvider? timeProvider = null)
{
    private const string ThreadNetNs = "/proc/thread-self/ns/net";
    private readonly ILogger _logger = logger ?? NullLogger<NetworkStatsReader>.Instance;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>
    /// Counters of every interface in the namespace pinned at <paramref name="netnsPath"/>
    /// (e.g. /run/crishim/ns/&lt;pod&gt;/net); null when the file is missing or no longer a namespace.
    /// </summary>
    /// <exception cref="NetworkNamespaceException">setns failed otherwise (e.g. EPERM).</exception>
    public Task<NetworkStats?> ReadNetworkStatsAsync(string netnsPath, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var completion = new TaskCompletionSource<NetworkStats?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                completion.SetResult(ReadInNamespace(netnsPath));
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        }, maxStackSize: 256 * 1024)
        {
            IsBackground = true,
            Name = "netns-stats",
        };
        thread.Start();
        return completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Synchronous form of <see cref="ReadNetworkStatsAsync"/>.</summary>
    internal NetworkStats? ReadNetworkStats(string netnsPath) => ReadNetworkStatsAsync(netnsPath).GetAwaiter().GetResult();

    /// <summary>Counters of the namespace a live process is in, via /proc/&lt;pid&gt;/net/dev; null when the process is gone.</summary>
    internal NetworkStats? ReadNetworkStats(int pid)
    {
        var timestamp = CgroupStatsReader.UnixNanos(_time.GetUtcNow());
        try
        {
            return new NetworkStats(timestamp, ProcNetDevParser.Parse(File.ReadAllText($"/proc/{pid}/net/dev")));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }
    }

    // Runs on the dedicated thread only.
    private NetworkStats? ReadInNamespace(string netnsPath)
    {
        var original = Syscall.open(ThreadNetNs, OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC);
        if (original < 0)
            throw new NetworkNamespaceException($"cannot open {ThreadNetNs}: {Stdlib.GetLastError()}");
        try
        {
            var target = Syscall.open(netnsPath, OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC);
            if (target < 0)
            {
                var errno = Stdlib.GetLastError();
                if (errno == Errno.ENOENT)
                    return null;
                throw new NetworkNamespaceException($"cannot open network namespace {netnsPath}: {errno}");
            }
            try
            {
                if (LibC.setns(target, LibC.CLONE_NEWNET) != 0)
                {
                    var errno = (Errno)System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                    // EINVAL: the file is not (or no longer) a bind-mounted network namespace, e.g. after teardown.
                    if (errno == Errno.EINVAL)
                    {
                        _logger.LogDebug("{NetnsPath} is not a network namespace", netnsPath);
                        return null;
                    }
                    throw new NetworkNamespaceException($"setns({netnsPath}) failed: {errno}");
                }
                try
                {
                    var timestamp = CgroupStatsReader.UnixNanos(_time.GetUtcNow());
                    return new NetworkStats(timestamp, ProcNetDevParser.Parse(File.ReadAllText("/proc/thread-self/net/dev")));
                }
                finally
                {
                    Restore(original, netnsPath);
                }
            }
            finally
            {
                Syscall.close(target);
            }
        }
        finally
        {
            Syscall.close(original);
        }
    }

    private void Restore(int original, string netnsPath)
    {
        if (LibC.setns(original, LibC.CLONE_NEWNET) == 0 && IsCurrentNamespace(original))
            return;
        // The thread ends right after this, so the wrong namespace dies with it; still worth shouting about.
        _logger.LogCritical("could not return the stats thread from network namespace {NetnsPath}", netnsPath);
        throw new NetworkNamespaceException($"could not return to the original network namespace after reading {netnsPath}");
    }

    private static bool IsCurrentNamespace(int fd) =>
        Syscall.fstat(fd, out var expected) == 0
        && Syscall.stat(ThreadNetNs, out var current) == 0
        && expected.st_ino == current.st_ino && expected.st_dev == current.st_dev;
}
