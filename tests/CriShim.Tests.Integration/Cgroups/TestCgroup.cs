using System.Diagnostics;
using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Integration.Cgroups;

/// <summary>
/// A real cgroup /crishim-test-&lt;random&gt; in every hierarchy of this host, with helpers to start busybox
/// workloads inside it. Disposing kills the workloads and removes the cgroup everywhere.
/// </summary>
internal sealed class TestCgroup : IAsyncDisposable
{
    // Controllers a plain task can join without extra setup (a fresh v1 cpuset has no cpus and refuses tasks).
    private static readonly string[] JoinedControllers = ["cpu", "cpuacct", "memory", "pids"];
    private readonly List<Process> _processes = [];

    private TestCgroup(CgroupLayout layout, string cgroupsPath)
    {
        Layout = layout;
        CgroupsPath = cgroupsPath;
        Paths = layout.Resolve(cgroupsPath);
    }

    public CgroupLayout Layout { get; }
    public string CgroupsPath { get; }
    public CgroupPaths Paths { get; }

    public static TestCgroup Create(string? parent = null)
    {
        RequireRoot();
        var layout = CgroupLayout.Detect();
        var cgroup = new TestCgroup(layout, $"{parent}/crishim-test-{Guid.NewGuid().ToString("N")[..12]}");
        foreach (var dir in cgroup.Paths.AllDirectories)
            Directory.CreateDirectory(dir);
        return cgroup;
    }

    public static void RequireRoot()
    {
        if (Mono.Unix.Native.Syscall.geteuid() != 0)
            Assert.Ignore("cgroup and netns integration tests need root");
    }

    /// <summary>
    /// Starts `busybox sh -c script` already inside the cgroup: a wrapper shell joins the cgroup first and then
    /// execs the workload, so nothing it allocates is charged elsewhere.
    /// </summary>
    public Process Start(string script, bool redirectStdin = false)
    {
        var procsFiles = Layout.Mode == CgroupMode.V2
            ? [Path.Combine(Paths.Unified!, "cgroup.procs")]
            : JoinedControllers.Select(Paths.For).OfType<string>().Select(d => Path.Combine(d, "cgroup.procs")).ToList();
        var info = new ProcessStartInfo("busybox")
        {
            RedirectStandardInput = redirectStdin,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "sh", "-c", """for f in "$@"; do echo $$ > "$f" || exit 99; done; exec busybox sh -c "$0" """, script })
            info.ArgumentList.Add(arg);
        foreach (var file in procsFiles)
            info.ArgumentList.Add(file);
        var process = Process.Start(info)!;
        _processes.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        var result = await new CgroupCleaner(Layout).RemoveAsync(CgroupsPath, killProcesses: true);
        Assert.That(result.Success, Is.True, () => $"cgroup left behind: {string.Join("; ", result.Failures)}");
    }
}
