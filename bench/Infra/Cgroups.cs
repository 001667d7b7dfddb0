namespace CriShim.Bench.Infra;

/// <summary>Removes a cgroup subtree from every mounted hierarchy (v1 controllers and the unified one).</summary>
static class Cgroups
{
    const string Mount = "/sys/fs/cgroup";

    public static void KillAndRemove(string relative)
    {
        foreach (var top in Hierarchies())
        {
            var dir = Path.Combine(top, relative);
            if (!Directory.Exists(dir)) continue;
            KillAll(dir);
            RemoveTree(dir);
        }
    }

    /// <summary>True when no hierarchy still holds the subtree.</summary>
    public static bool Gone(string relative) => Hierarchies().All(top => !Directory.Exists(Path.Combine(top, relative)));

    static IEnumerable<string> Hierarchies()
    {
        if (File.Exists(Path.Combine(Mount, "cgroup.controllers"))) { yield return Mount; yield break; } // pure v2
        foreach (var dir in Directory.EnumerateDirectories(Mount))
            if (File.Exists(Path.Combine(dir, "cgroup.procs")) && !IsSymlink(dir)) yield return dir;
    }

    static bool IsSymlink(string path) => new DirectoryInfo(path).LinkTarget is not null;

    static void KillAll(string dir)
    {
        foreach (var procs in Directory.EnumerateFiles(dir, "cgroup.procs", SearchOption.AllDirectories))
        {
            try
            {
                foreach (var line in File.ReadLines(procs))
                    if (int.TryParse(line, out var pid)) Native.Signal(pid, Native.SIGKILL);
            }
            catch (IOException) { }
        }
    }

    static void RemoveTree(string dir)
    {
        foreach (var child in Directory.EnumerateDirectories(dir)) RemoveTree(child);
        for (var i = 0; i < 20; i++)
        {
            try { Directory.Delete(dir); return; } // rmdir: cgroup dirs hold only virtual files
            catch (DirectoryNotFoundException) { return; }
            catch (IOException) { Thread.Sleep(50); } // busy until its killed tasks are gone
        }
    }
}
