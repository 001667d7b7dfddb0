using CriShim.Tests.Integration.Support;

namespace CriShim.Tests.Integration.Lifecycle;

/// <summary>What a pod or container can leave on the host, looked up the way an operator would: record files,
/// state directories, mounts, conmon processes.</summary>
public sealed record Leftovers(IReadOnlySet<string> Files, IReadOnlySet<string> Mounts, IReadOnlySet<int> Conmons)
{
    /// <summary>Everything of the daemon now: records, bundles, writable layers, monitor state, pod dirs, pins, CNI results.</summary>
    public static Leftovers Of(DaemonProcess daemon)
    {
        var dirs = new[]
        {
            Path.Combine(daemon.Root, "pods"), Path.Combine(daemon.Root, "containers"), Path.Combine(daemon.Root, "rw"),
            Path.Combine(daemon.State, "containers"), Path.Combine(daemon.State, "pods"), Path.Combine(daemon.State, "ns"),
            Path.Combine(daemon.State, "cni"), Path.Combine(daemon.State, "mon", "c"),
        };
        var files = dirs.Where(Directory.Exists).SelectMany(Directory.EnumerateFileSystemEntries)
            .Where(p => Path.GetFileName(p) != "corrupt").ToHashSet();
        var mounts = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
            .Where(m => m.StartsWith(daemon.State + "/", StringComparison.Ordinal) || m.StartsWith(daemon.Root + "/", StringComparison.Ordinal)).ToHashSet();
        return new Leftovers(files, mounts, ConmonsMentioning(daemon.State));
    }

    /// <summary>Live conmon processes whose command line mentions <paramref name="text"/> (a container ID, a state dir).</summary>
    public static IReadOnlySet<int> ConmonsMentioning(string text)
    {
        var pids = new HashSet<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (argv.Length > 0 && Path.GetFileName(argv[0]) == "conmon" && argv.Any(a => a.Contains(text, StringComparison.Ordinal))) pids.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return pids;
    }

    /// <summary>What is here now and was not in <paramref name="before"/>.</summary>
    public Leftovers Except(Leftovers before) => new(
        Files.Except(before.Files).ToHashSet(), Mounts.Except(before.Mounts).ToHashSet(), Conmons.Except(before.Conmons).ToHashSet());

    public bool IsEmpty => Files.Count == 0 && Mounts.Count == 0 && Conmons.Count == 0;

    public override string ToString() =>
        $"files: [{string.Join(", ", Files)}]; mounts: [{string.Join(", ", Mounts)}]; conmon pids: [{string.Join(", ", Conmons)}]";
}
