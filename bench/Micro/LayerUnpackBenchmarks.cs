using System.Formats.Tar;
using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using CriShim.Images;

namespace CriShim.Bench.Micro;

/// <summary>Unpacking a gzip layer like the benchmark's images: 1000 small files plus 4 MiB in one file.</summary>
[MemoryDiagnoser]
public class LayerUnpackBenchmarks
{
    string _dir = "";
    byte[] _layer = [];
    string _target = "";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("crishim-bench-unpack-").FullName;
        using var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(zip, TarEntryFormat.Pax, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "data/") { Mode = (UnixFileMode)0x1ED });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "data/small/") { Mode = (UnixFileMode)0x1ED });
            for (var i = 0; i < 1000; i++)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"data/small/{i}.txt")
                {
                    Mode = (UnixFileMode)0x1A4,
                    DataStream = new MemoryStream(System.Text.Encoding.ASCII.GetBytes($"file {i}\n")),
                });
            var blob = new byte[4 << 20];
            new Random(7).NextBytes(blob);
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "data/blob") { Mode = (UnixFileMode)0x1A4, DataStream = new MemoryStream(blob) });
        }
        _layer = gz.ToArray();
    }

    [IterationSetup]
    public void NewTarget() => _target = Path.Combine(_dir, Guid.NewGuid().ToString("N"));

    [IterationCleanup]
    public void RemoveTarget() => Directory.Delete(_target, recursive: true);

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(Description = "LayerUnpacker.UnpackAsync (gzip, 1001 files, 4 MiB)")]
    public Task Unpack() => LayerUnpacker.UnpackAsync(new MemoryStream(_layer), _target, CancellationToken.None);
}
