using BenchmarkDotNet.Attributes;
using CriShim.Oci.Specs;

namespace CriShim.Bench.Micro;

/// <summary>A kubelet-like container's OCI spec: built once per CreateContainer, then written as config.json.</summary>
[MemoryDiagnoser]
public class SpecGenerationBenchmarks
{
    readonly ContainerSpecGenerator _generator = new();
    string _dir = "";
    ContainerSpecInput _input = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("crishim-bench-spec-").FullName;
        var rootfs = Path.Combine(_dir, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        File.WriteAllText(Path.Combine(rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33::/var/www:/bin/false\n");
        File.WriteAllText(Path.Combine(rootfs, "etc", "group"), "root:x:0:\nwww-data:x:33:\n");
        var pod = Path.Combine(_dir, "pod");
        var id = new string('c', 64);
        var sandbox = new string('s', 64);
        _input = new ContainerSpecInput
        {
            ContainerId = id,
            ContainerName = "app",
            SandboxId = sandbox,
            SandboxName = "web-7c5ddbdf54-abcde",
            SandboxNamespace = "default",
            SandboxUid = Guid.NewGuid().ToString(),
            ImageName = "docker.io/library/nginx:1.25",
            RootfsPath = rootfs,
            Command = ["/docker-entrypoint.sh"],
            Args = ["nginx", "-g", "daemon off;"],
            Env = [.. Enumerable.Range(0, 12).Select(i => new KeyValuePair<string, string>($"SERVICE_{i}_PORT", $"tcp://10.96.0.{i}:80"))],
            Hostname = "web-7c5ddbdf54-abcde",
            // No CRI bind mounts: resolving their host paths (Mono.Unix UnixPath.GetCompleteRealPath) never returns.
            PodFiles = new PodFilePaths(Path.Combine(pod, "hostname"), Path.Combine(pod, "hosts"), Path.Combine(pod, "resolv.conf"), Path.Combine(pod, "shm")),
            Namespaces = new NamespacesInput
            {
                Network = NamespaceRef.Join($"/run/crishim/ns/{sandbox}/net"),
                Ipc = NamespaceRef.Join($"/run/crishim/ns/{sandbox}/ipc"),
                Uts = NamespaceRef.Join($"/run/crishim/ns/{sandbox}/uts"),
            },
            Security = new SecurityInput { RunAsUser = 33, DropCapabilities = ["NET_RAW"] },
            Resources = new ResourcesInput { CpuPeriod = 100000, CpuQuota = 50000, CpuShares = 512, MemoryLimitBytes = 256 << 20, OomScoreAdj = 985 },
            CgroupsPath = $"/kubepods/burstable/pod{Guid.NewGuid()}/{id}",
        };
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(Description = "ContainerSpecGenerator.Generate")]
    public object Generate() => _generator.Generate(_input);

    [Benchmark(Description = "Generate + BundleWriter.Serialize (config.json text)")]
    public string GenerateAndSerialize() => BundleWriter.Serialize(_generator.Generate(_input));
}
