namespace CriShim.Bench.Infra;

/// <summary>What /proc tells about processes: command lines, resident and proportional memory.</summary>
static class ProcFs
{
    public sealed record ProcessInfo(int Pid, string CmdLine, long RssBytes, long PssBytes);

    /// <summary>True while the process exists and is not a zombie (a zombie's parent may never reap it: setsid children of the harness).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch { return false; }
    }

    public static string CmdLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim(); }
        catch { return ""; }
    }

    public static IEnumerable<int> Pids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out var pid)) yield return pid;
    }

    /// <summary>Processes (other than the excluded ones) whose command line mentions any of the markers.</summary>
    public static List<ProcessInfo> FindByCmdLine(IReadOnlyCollection<string> markers, ISet<int> exclude)
    {
        var found = new List<ProcessInfo>();
        foreach (var pid in Pids())
        {
            if (exclude.Contains(pid) || pid == Environment.ProcessId) continue;
            var cmd = CmdLine(pid);
            if (cmd.Length == 0 || !markers.Any(m => cmd.Contains(m, StringComparison.Ordinal))) continue;
            found.Add(new ProcessInfo(pid, cmd, RssBytes(pid), PssBytes(pid)));
        }
        return found;
    }

    public static long RssBytes(int pid) => StatusField(pid, "VmRSS:");

    /// <summary>Proportional set size: shared pages (the shim's binary text) divided among the sharers.</summary>
    public static long PssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
                if (line.StartsWith("Pss:", StringComparison.Ordinal)) return ParseKb(line);
        }
        catch { }
        return 0;
    }

    static long StatusField(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field, StringComparison.Ordinal)) return ParseKb(line);
        }
        catch { }
        return 0;
    }

    static long ParseKb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    /// <summary>Mount points at or below the directory, deepest first (the order to unmount them in).</summary>
    public static List<string> MountsUnder(string dir)
    {
        var prefix = dir.TrimEnd('/') + "/";
        var mounts = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var mountPoint = Unescape(line.Split(' ')[4]);
            if (mountPoint == dir.TrimEnd('/') || mountPoint.StartsWith(prefix, StringComparison.Ordinal)) mounts.Add(mountPoint);
        }
        mounts.Reverse(); // later mounts may sit on earlier ones
        return mounts;
    }

    static string Unescape(string s) => s.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");
}
