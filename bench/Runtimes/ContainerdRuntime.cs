using CriShim.Bench.Infra;

namespace CriShim.Bench.Runtimes;

/// <summary>Debian's containerd with only what the CRI plugin needs, isolated from any system containerd.</summary>
sealed class ContainerdRuntime() : RuntimeUnderTest("containerd", "containerd", "ctrdbench0", "10.78.0.0/24")
{
    protected override (string File, string[] Args) Prepare(LocalRegistry registry)
    {
        var config = Path.Combine(BaseDir, "config.toml");
        File.WriteAllText(config, ConfigToml(registry));
        return ("containerd", ["--config", config]);
    }

    string ConfigToml(LocalRegistry registry) => $$"""
        version = 2
        root = "{{Root}}"
        state = "{{State}}"
        # plugins a CRI node with overlayfs does not use
        disabled_plugins = [
          "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
          "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
          "io.containerd.snapshotter.v1.native",
          "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
        ]

        [grpc]
          address = "{{Socket}}"
        [ttrpc]
          address = "{{Socket}}.ttrpc"
        [debug]
          address = ""
          level = "warn"
        [metrics]
          address = ""

        [plugins."io.containerd.internal.v1.opt"]
          path = "{{Path.Combine(BaseDir, "opt")}}"
        [plugins."io.containerd.grpc.v1.cri"]
          sandbox_image = "{{registry.PauseImage}}"
          restrict_oom_score_adj = true
          netns_mounts_under_state_dir = true
          stream_server_address = "127.0.0.1"
          stream_server_port = "0"
          enable_selinux = false
          [plugins."io.containerd.grpc.v1.cri".containerd]
            snapshotter = "overlayfs"
            default_runtime_name = "runc"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                SystemdCgroup = false
                Root = "{{Path.Combine(State, "runc")}}"
          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = "{{CniNetwork.BinDir}}"
            conf_dir = "{{Network.ConfDir}}"
            max_conf_num = 1
          [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
            endpoint = ["{{registry.Endpoint}}"]
        """;

    /// <summary>containerd 1.6 puts shim sockets under /run/containerd/s whatever its state dir: remove that if we made it.</summary>
    readonly bool _hadRunDir = Directory.Exists("/run/containerd");

    protected override void AfterStop()
    {
        if (_hadRunDir) return;
        foreach (var dir in new[] { "/run/containerd/s", "/run/containerd" })
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
    }

    public override async Task<string> DescribeAsync() => await Shell.FirstLineAsync("containerd", "--version");
}
