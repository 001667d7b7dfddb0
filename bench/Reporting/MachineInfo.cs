using System.Runtime.InteropServices;
using CriShim.Bench.Infra;

namespace CriShim.Bench.Reporting;

/// <summary>What the numbers were measured on.</summary>
sealed record MachineInfo(string Cpu, int Cores, string Memory, string Kernel, string Os, string Cgroups, string Dotnet, string Runc, string Conmon, string CniPlugins, IReadOnlyDictionary<string, string> Runtimes)
{
    public static async Task<MachineInfo> CollectAsync(IEnumerable<(string Name, Task<string> Version)> runtimes)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memKb = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? "Linux"
            : "Linux";
        var cgroups = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? "v2" : Directory.Exists("/sys/fs/cgroup/unified") ? "v1 (hybrid)" : "v1";
        var versions = new Dictionary<string, string>();
        foreach (var (name, version) in runtimes) versions[name] = await version;
        return new MachineInfo(cpu, Environment.ProcessorCount, $"{memKb / 1048576.0:0.#} GiB",
            File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), os, cgroups, RuntimeInformation.FrameworkDescription,
            await Shell.FirstLineAsync("runc", "--version"), await Shell.FirstLineAsync("conmon", "--version"),
            "containernetworking-plugins " + await Shell.FirstLineAsync("dpkg-query", "-W", "-f=${Version}", "containernetworking-plugins"), versions);
    }
}
