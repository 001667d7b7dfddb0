using System.Text.Json;
using System.Text.Json.Nodes;

namespace CriShim.Tests.Integration.Runc;

/// <summary>A throwaway OCI bundle: a busybox rootfs and a minimal hand-written config.json.</summary>
public static class TestBundle
{
    private static readonly string[] Applets =
        ["sh", "echo", "sleep", "cat", "stty", "read", "ls", "true", "false", "kill", "ps", "hostname", "ip", "ping", "trap", "env", "id", "wc", "head", "yes", "ifconfig", "mount"];

    public static bool BusyboxAvailable => File.Exists("/bin/busybox");

    /// <summary>Writes bundle/rootfs (busybox + applet links) and bundle/config.json.</summary>
    /// <param name="netnsPath">Join this network namespace instead of creating one.</param>
    public static string Create(string bundle, string id, IReadOnlyList<string> args, string? netnsPath = null, bool terminal = false)
    {
        var rootfs = Path.Combine(bundle, "rootfs");
        foreach (var d in new[] { "bin", "proc", "dev", "sys", "tmp", "etc" })
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        var busybox = Path.Combine(rootfs, "bin", "busybox");
        if (!File.Exists(busybox)) File.Copy("/bin/busybox", busybox);
        File.SetUnixFileMode(busybox, (UnixFileMode)0b111_101_101);
        foreach (var a in Applets)
        {
            var link = Path.Combine(rootfs, "bin", a);
            if (!File.Exists(link) && !Directory.Exists(link)) File.CreateSymbolicLink(link, "busybox");
        }

        var namespaces = new JsonArray
        {
            new JsonObject { ["type"] = "pid" },
            new JsonObject { ["type"] = "ipc" },
            new JsonObject { ["type"] = "uts" },
            new JsonObject { ["type"] = "mount" },
            netnsPath is null ? new JsonObject { ["type"] = "network" } : new JsonObject { ["type"] = "network", ["path"] = netnsPath },
        };
        string[] caps = ["CAP_KILL", "CAP_NET_RAW", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"];
        var capSet = () => new JsonArray(caps.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray());
        var config = new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = terminal,
                ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
                ["args"] = new JsonArray(args.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
                ["env"] = new JsonArray("PATH=/bin", "TERM=xterm"),
                ["cwd"] = "/",
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = capSet(), ["effective"] = capSet(), ["permitted"] = capSet(),
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
                ["cgroupsPath"] = CgroupsPath(id),
                ["namespaces"] = namespaces,
                ["maskedPaths"] = new JsonArray("/proc/kcore"),
                ["readonlyPaths"] = new JsonArray("/proc/sys"),
            },
        };
        File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return bundle;
    }

    public static string CgroupsPath(string id) => "/crishim-test/" + id;

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

/// <summary>A unique scratch directory under /tmp, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "crishim-test-")
    {
        Path = System.IO.Path.Combine("/tmp", prefix + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(p);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
