using CriShim.Oci.Specs;
using CriShim.Oci.Specs.Model;

namespace CriShim.Tests.Unit.Oci;

internal sealed class FakeHost(int minimumOom = 0, bool swap = true) : IHostEnvironment
{
    public int MinimumOomScoreAdj => minimumOom;
    public bool SwapAccounting => swap;
    public IReadOnlyList<string> Capabilities { get; init; } = CapabilitySet.All;
    public IReadOnlyList<LinuxDevice> HostDevices() =>
        [new LinuxDevice { Path = "/dev/sda", Type = "b", Major = 8, Minor = 0 }];
    public LinuxDevice Device(string hostPath, string containerPath) => hostPath switch
    {
        "/dev/fuse" => new LinuxDevice { Path = containerPath, Type = "c", Major = 10, Minor = 229, FileMode = 438 },
        _ => throw new SpecException($"device \"{hostPath}\" does not exist on the host"),
    };
}

/// <summary>A temp directory deleted after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("crishim-oci-").FullName;
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
    public string Write(string relative, string content)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
