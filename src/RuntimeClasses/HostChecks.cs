namespace CriShim.RuntimeClasses;

/// <summary>Facts about the host that decide whether a runtime can run here, probed once at start.</summary>
public static class HostChecks
{
    const string CgroupRoot = "/sys/fs/cgroup";

    /// <summary>crun refuses a hybrid cgroup host ("cgroups in hybrid mode not supported, drop all controllers from
    /// cgroupv2") while the cgroup2 hierarchy still holds a controller. Returns those controllers, empty when none.</summary>
    public static IReadOnlyList<string> HybridCgroup2Controllers(string cgroupRoot = CgroupRoot)
    {
        var unified = Path.Combine(cgroupRoot, "unified", "cgroup.controllers");
        // A pure v2 host has cgroup.controllers at the root; pure v1 has no unified mount: both are fine for crun.
        if (File.Exists(Path.Combine(cgroupRoot, "cgroup.controllers")) || !File.Exists(unified)) return [];
        try { return File.ReadAllText(unified).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries); }
        catch (IOException) { return []; }
    }

    /// <summary>The message crun's handler reports while the host is hybrid with controllers on cgroup2.</summary>
    public static string CrunHybridProblem(IReadOnlyList<string> controllers) =>
        $"crun refuses this hybrid cgroup host while cgroup2 holds the {string.Join(", ", controllers)} controller(s); " +
        "mount each as a v1 hierarchy (" + string.Join("; ", controllers.Select(c => $"mkdir -p /sys/fs/cgroup/{c} && mount -t cgroup -o {c} cgroup /sys/fs/cgroup/{c}")) +
        "), as `make deps` does through scripts/setup-cgroups.sh";

    /// <summary>True when a fresh network namespace shows /proc/sys/net/core/rmem_default. runsc builds before 2023
    /// take that file as the sign of the host's namespace and refuse to set up a pod network in it; kernels since
    /// 6.x show it in every namespace.</summary>
    public static bool NetnsShowsRootOnlySysctl()
    {
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("unshare") { UseShellExecute = false, RedirectStandardError = true };
            foreach (var a in new[] { "--net", "test", "-e", "/proc/sys/net/core/rmem_default" }) psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi);
            if (p is null || !p.WaitForExit(10_000)) return false;
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }
}
