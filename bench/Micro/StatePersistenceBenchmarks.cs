using BenchmarkDotNet.Attributes;
using CriShim;
using CriShim.Stores;

namespace CriShim.Bench.Micro;

/// <summary>Persisting a pod record (temp file, fsync, rename): paid on every pod and container transition.</summary>
[MemoryDiagnoser]
public class StatePersistenceBenchmarks
{
    string _dir = "";
    PodRecord _pod = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("crishim-bench-micro-").FullName;
        _pod = new PodRecord
        {
            Id = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"),
            Name = "nginx-7c5ddbdf54-abcde",
            Namespace = "default",
            Uid = Guid.NewGuid().ToString(),
            Config = new byte[600],
            RuntimeHandler = "",
            PodDir = "/run/crishim/pods/x",
            NetNsPath = "/run/crishim/netns/x",
            Ip = "10.88.0.17",
            CgroupParent = "/kubepods/besteffort/podx",
            CreatedAt = DateTimeOffset.UtcNow,
        };
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(Description = "AtomicFile.WriteJsonAsync(PodRecord)")]
    public Task WritePodRecord() => AtomicFile.WriteJsonAsync(Path.Combine(_dir, "pod.json"), _pod, JsonOptions.Compact);

    [Benchmark(Description = "JSON serialize PodRecord (no I/O)")]
    public byte[] SerializePodRecord() => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(_pod, JsonOptions.Compact);
}
