using System.Text.Json.Nodes;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>A throw-away OCI bundle: a rootfs made of Debian's static busybox and its applet links, and a minimal config.json.</summary>
static class BusyboxBundle
{
    public static void Create(string bundle, string[] args, string? netNsPath, bool terminal = false, string? cgroupName = null)
    {
        var rootfs = Path.Combine(bundle, "rootfs");
        foreach (var dir in new[] { "bin", "proc", "dev", "sys", "tmp", "etc", "root", "www" })
            Directory.CreateDirectory(Path.Combine(rootfs, dir));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin/busybox"), overwrite: true);
        var applets = Sh.RunAsync("/bin/busybox", "--list").GetAwaiter().GetResult()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var applet in applets.Where(a => a != "busybox"))
        {
            var link = Path.Combine(rootfs, "bin", applet);
            if (!File.Exists(link)) File.CreateSymbolicLink(link, "busybox");
        }
        File.WriteAllText(Path.Combine(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        File.WriteAllText(Path.Combine(rootfs, "www/index.html"), "hello from the pod\n");

        var namespaces = new JsonArray(
            new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "ipc" },
            new JsonObject { ["type"] = "uts" }, new JsonObject { ["type"] = "mount" },
            netNsPath is null ? new JsonObject { ["type"] = "network" } : new JsonObject { ["type"] = "network", ["path"] = netNsPath });
        var caps = new JsonArray("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID", "CAP_SETGID", "CAP_DAC_OVERRIDE");
        var config = new JsonObject
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
                    ["bounding"] = caps.DeepClone(), ["effective"] = caps.DeepClone(), ["permitted"] = caps.DeepClone(),
                },
            },
            ["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = false },
            ["hostname"] = "streaming-test",
            ["mounts"] = new JsonArray(
                new JsonObject { ["destination"] = "/proc", ["type"] = "proc", ["source"] = "proc" },
                new JsonObject { ["destination"] = "/dev", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nosuid", "strictatime", "mode=755", "size=65536k") },
                new JsonObject { ["destination"] = "/dev/pts", ["type"] = "devpts", ["source"] = "devpts", ["options"] = new JsonArray("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620") },
                new JsonObject { ["destination"] = "/tmp", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("nosuid", "nodev") }),
            ["linux"] = new JsonObject
            {
                ["cgroupsPath"] = $"/crishim-test/{cgroupName ?? Path.GetFileName(bundle)}",
                ["namespaces"] = namespaces,
            },
        };
        File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString());
    }
}
