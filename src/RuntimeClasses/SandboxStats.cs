using System.Text.Json;
using CriShim.Oci.Cgroups;
using CriShim.Oci.Runc;

namespace CriShim.RuntimeClasses;

/// <summary>
/// Usage of a container inside a sandbox, as the sandbox's kernel counts it (`runsc events --stats`): its host
/// cgroup holds only a helper process, the workload runs in the sandbox process of the pod's cgroup.
/// CPU is per container; memory is the sandbox's, as runsc reports it.
/// </summary>
public static class SandboxStats
{
    public static async Task<CgroupStats?> ReadAsync(RuntimeClass handler, string containerId, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        CommandResult r;
        try
        {
            r = await CommandRunner.RunAsync(new CommandSpec(handler.Runtime.Binary, [.. handler.Runtime.GlobalArgs, "events", "--stats", containerId])
            {
                Timeout = TimeSpan.FromSeconds(10),
            }, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException) { return null; }
        return r.ExitCode == 0 ? Parse(r.StdoutText, (now - DateTimeOffset.UnixEpoch).Ticks * 100) : null;
    }

    /// <summary>Parses one `runsc events --stats` line: {"type":"stats","data":{"cpu":{"usage":{"total":N}},"memory":{"usage":{"usage":N}},"pids":{"current":N}}}.</summary>
    public static CgroupStats? Parse(string json, long timestampNanos)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (!doc.RootElement.TryGetProperty("data", out var data)) return null;
            var cpu = Get(data, "cpu", "usage", "total");
            var memory = Get(data, "memory", "usage", "usage");
            return new CgroupStats
            {
                TimestampNanos = timestampNanos,
                CpuUsageCoreNanoSeconds = cpu ?? 0,
                MemoryUsageBytes = memory,
                MemoryWorkingSetBytes = memory,
                PidsCurrent = Get(data, "pids", "current"),
            };
        }
        catch (JsonException) { return null; }
    }

    static ulong? Get(JsonElement e, params string[] path)
    {
        foreach (var p in path)
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return null;
        return e.ValueKind == JsonValueKind.Number && e.TryGetUInt64(out var v) ? v : null;
    }
}
