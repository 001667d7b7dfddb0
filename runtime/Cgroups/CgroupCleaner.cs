using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mono.Unix.Native;

namespace CriShim.Oci.Cgroups;

/// <summary>
/// Removes a cgroup (and its child cgroups) from every hierarchy, so nothing leaks after a pod or container is
/// removed. Idempotent: a cgroup that is already gone counts as removed.
/// </summary>
public sealed class CgroupCleaner(CgroupLayout layout, ILogger<CgroupCleaner>? logger = null)
{
    private const int Attempts = 5;
    private readonly ILogger _logger = logger ?? NullLogger<CgroupCleaner>.Instance;

    /// <summary>
    /// rmdir the cgroup under every hierarchy, deepest child first. A cgroup with processes stays (EBUSY) and is
    /// reported; with <paramref name="killProcesses"/> those processes are SIGKILLed (after thawing) first.
    /// Exiting processes can keep a cgroup busy for a moment, so busy directories are retried briefly.
    /// </summary>
    /// <exception cref="ArgumentException">The path is the root cgroup.</exception>
    public async Task<CgroupRemoveResult> RemoveAsync(string cgroupsPath, bool killProcesses = false, CancellationToken cancellationToken = default)
    {
        var paths = layout.Resolve(cgroupsPath);
        if (paths.CgroupsPath == "/")
            throw new ArgumentException("refusing to remove the root cgroup", nameof(cgroupsPath));

        var removed = new List<string>();
        var failures = new List<CgroupRemoveFailure>();
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            failures.Clear();
            foreach (var top in paths.AllDirectories)
                RemoveTree(top, removed, failures);
            if (failures.Count == 0 || failures.Any(f => !f.Reason.StartsWith("EBUSY", StringComparison.Ordinal)))
                break;
            if (killProcesses)
                Kill(failures);
            if (attempt < Attempts)
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), cancellationToken);
        }

        if (failures.Count > 0)
            _logger.LogWarning("Cgroup {CgroupsPath} left behind: {Failures}", paths.CgroupsPath,
                failures.Select(f => $"{f.Directory} ({f.Reason}, pids {string.Join(',', f.Pids)})"));
        else
            _logger.LogDebug("Removed cgroup {CgroupsPath} ({Count} directories)", paths.CgroupsPath, removed.Count);
        return new CgroupRemoveResult(removed, failures.ToArray());
    }

    private static void RemoveTree(string top, List<string> removed, List<CgroupRemoveFailure> failures)
    {
        if (!Directory.Exists(top))
            return;
        // Child cgroups first: deepest paths sort first when ordered by separator count.
        var directories = EnumerateTree(top)
            .OrderByDescending(d => d.Count(c => c == '/'))
            .ToList();
        foreach (var dir in directories)
        {
            if (Syscall.rmdir(dir) == 0)
            {
                removed.Add(dir);
                continue;
            }
            var errno = Stdlib.GetLastError();
            if (errno == Errno.ENOENT)
                continue;
            var reason = errno == Errno.EBUSY ? "EBUSY: processes remain" : errno.ToString();
            failures.Add(new CgroupRemoveFailure(dir, reason, ReadPids(dir)));
        }
    }

    private static IEnumerable<string> EnumerateTree(string top)
    {
        var result = new List<string> { top };
        try
        {
            // cgroupfs holds only directories and control files, no symlinks.
            result.AddRange(Directory.EnumerateDirectories(top, "*", new EnumerationOptions
            {
                RecurseSubdirectories = true,
                IgnoreInaccessible = true,
            }));
        }
        catch (DirectoryNotFoundException)
        {
        }
        return result;
    }

    private void Kill(List<CgroupRemoveFailure> busy)
    {
        foreach (var failure in busy)
        {
            Thaw(failure.Directory);
            // cgroup.kill (v2, kernel >= 5.14) kills the whole subtree race-free; otherwise signal each pid.
            if (File.Exists(Path.Combine(failure.Directory, "cgroup.kill")))
            {
                TryWrite(failure.Directory, "cgroup.kill", "1");
                continue;
            }
            foreach (var pid in failure.Pids)
            {
                _logger.LogInformation("Killing leftover process {Pid} in {Directory}", pid, failure.Directory);
                Syscall.kill(pid, Signum.SIGKILL);
            }
        }
    }

    // Frozen tasks do not die on SIGKILL until thawed.
    private static void Thaw(string directory)
    {
        if (File.Exists(Path.Combine(directory, "freezer.state")))
            TryWrite(directory, "freezer.state", "THAWED");
        if (File.Exists(Path.Combine(directory, "cgroup.freeze")))
            TryWrite(directory, "cgroup.freeze", "0");
    }

    private static void TryWrite(string directory, string file, string value)
    {
        try
        {
            CgroupFiles.Write(directory, file, value);
        }
        catch (CgroupException)
        {
        }
    }

    private static IReadOnlyList<int> ReadPids(string directory) =>
        (CgroupFiles.ReadText(directory, "cgroup.procs") ?? string.Empty)
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
        .Where(pid => pid > 0)
        .ToArray();
}
