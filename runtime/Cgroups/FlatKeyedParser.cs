using System.Globalization;

namespace CriShim.Oci.Cgroups;

/// <summary>Parses cgroup "flat keyed" files: one "key value" per line (memory.stat, cpu.stat, memory.events, memory.oom_control).</summary>
public static class FlatKeyedParser
{
    /// <summary>Returns key to value; lines whose value is not an unsigned integer are skipped.</summary>
    public static IReadOnlyDictionary<string, ulong> Parse(string text)
    {
        var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length == 2 && ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                values[fields[0]] = value;
        }
        return values;
    }
}
