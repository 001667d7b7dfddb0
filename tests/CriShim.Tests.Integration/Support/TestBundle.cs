using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CriShim.Tests.Integration.Support;

/// <summary>
/// Throw-away OCI bundles for the tests that drive runc or conmon directly: a rootfs made of Debian's static busybox
/// with a link for each of its applets, and a minimal hand-written config.json. The one builder of such bundles;
/// image layers built from the same rootfs are <see cref="PopulateRootfs"/> plus their own files.
/// </summary>
public static class TestBundle
{
    const string Busybox = "/bin/busybox";
    static readonly string[] Directories = ["bin", "proc", "dev", "sys", "tmp", "etc", "root"];
    static readonly string[] Capabilities =
        ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID"];
    static readonly Lazy<string[]> Applets = new(ListApplets);

    public static bool BusyboxAvailable => File.Exists(Busybox);

    /// <summary>The directory prefix every test container's cgroup is under (see <see cref="RemoveTestCgroupParents"/>).</summary>
    public static string CgroupsPath(string id) => "/crishim-test/" + id;

    /// <summary>Fills <paramref name="rootfs"/> with busybox, a link per applet, the usual mount points and a root-only /etc/passwd.</summary>
    public static void PopulateRootfs(string rootfs)
    {
        foreach (var dir in Directories) Directory.CreateDirectory(Path.Combine(rootfs, dir));
        var busybox = Path.Combine(rootfs, "bin", "busybox");
        if (!File.Exists(busybox)) File.Copy(Busybox, busybox);
        File.SetUnixFileMode(busybox, (UnixFileMode)0b111_101_101);
        foreach (var applet in Applets.Value)
        {
            var link = Path.Combine(rootfs, "bin", applet);
            if (!File.Exists(link) && !Directory.Exists(link)) File.CreateSymbolicLink(link, "busybox");
        }
        File.WriteAllText(Path.Combine(rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    }

    /// <summary>Writes bundle/rootfs (see <see cref="PopulateRootfs"/>) and bundle/config.json; returns <paramref name="bundle"/>.</summary>
    /// <param name="id">Names the container's cgroup, <see cref="CgroupsPath"/>, unless <paramref name="cgroupsPath"/> is given.</param>
    /// <param name="netnsPath">Join this network namespace instead of creating one.</param>
    /// <param name="configure">A last change to the config before it is written (resources, extra mounts).</param>
    public static string Create(string bundle, string id, IReadOnlyList<string> args, string? netnsPath = null, bool terminal = false,
        string? cgroupsPath = null, Action<JsonObject>? configure = null)
    {
        PopulateRootfs(Path.Combine(bundle, "rootfs"));
        var config = Config(args, cgroupsPath ?? CgroupsPath(id), netnsPath, terminal);
        configure?.Invoke(config);
        File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return bundle;
    }

    static JsonObject Config(IReadOnlyList<string> args, string cgroupsPath, string? netnsPath, bool terminal)
    {
        var capabilities = () => new JsonArray(Capabilities.Select(c => (JsonNode)c!).ToArray());
        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = terminal,
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                ["args"] = new JsonArray(args.Select(a => (JsonNode)a!).ToArray()),
                ["env"] = new JsonArray("PATH=/bin", "HOME=/root", "TERM=xterm"),
                ["cwd"] = "/",
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = capabilities(), ["effective"] = capabilities(), ["permitted"] = capabilities(),
                },
                ["noNewPrivileges"] = true,
            },
            ["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = false },
            ["hostname"] = "test",
            ["mounts"] = new JsonArray
            {
                new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" },
                new JsonObject { ["destination"] = "/dev", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nosuid", "strictatime", "mode=755", "size=65536k") },
                new JsonObject { ["destination"] = "/dev/pts", ["type"] = "devpts", ["source"] = "devpts", ["options"] = new JsonArray("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620") },
                new JsonObject { ["destination"] = "/sys", ["type"] = "sysfs", ["source"] = "sysfs", ["options"] = new JsonArray("nosuid", "noexec", "nodev", "ro") },
                new JsonObject { ["destination"] = "/tmp", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nosuid", "nodev") },
            },
            ["linux"] = new JsonObject
            {
                ["cgroupsPath"] = cgroupsPath,
                ["namespaces"] = new JsonArray
                {
                    new JsonObject { ["type"] = "pid" },
                    new JsonObject { ["type"] = "ipc" },
                    new JsonObject { ["type"] = "uts" },
                    new JsonObject { ["type"] = "mount" },
                    netnsPath is null ? new JsonObject { ["type"] = "network" } : new JsonObject { ["type"] = "network", ["path"] = netnsPath },
                },
                ["maskedPaths"] = new JsonArray("/proc/kcore"),
                ["readonlyPaths"] = new JsonArray("/proc/sys"),
            },
        };
    }

    static string[] ListApplets()
    {
        var start = new ProcessStartInfo(Busybox, "--list") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(a => a != "busybox").ToArray();
    }

    /// <summary>runc removes a container's own cgroup but not the parent the tests put it in.</summary>
    public static void RemoveTestCgroupParents()
    {
        if (!Directory.Exists("/sys/fs/cgroup")) return;
        foreach (var hierarchy in Directory.GetDirectories("/sys/fs/cgroup").Append("/sys/fs/cgroup"))
        {
            var dir = Path.Combine(hierarchy, "crishim-test");
            if (!Directory.Exists(dir) || Directory.GetDirectories(dir).Length > 0) continue;
            try { Directory.Delete(dir); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The container's cgroup directory in the pids hierarchy (cgroup v1) or the unified one.</summary>
    public static string PidsCgroupDir(string id) =>
        Directory.Exists("/sys/fs/cgroup/pids") ? "/sys/fs/cgroup/pids" + CgroupsPath(id) : "/sys/fs/cgroup" + CgroupsPath(id);
}
