using System.Text;

namespace CriShim.Oci.Cgroups;

/// <summary>Extracts cgroup mounts from the text of /proc/[pid]/mountinfo.</summary>
public static class MountInfoParser
{
    // Super options of a v1 cgroup mount that name a controller; everything else (rw, xattr, release_agent=...) is an option.
    private static readonly HashSet<string> V1Controllers = new(StringComparer.Ordinal)
    {
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb",
        "net_cls", "net_prio", "perf_event", "rdma", "misc",
    };

    /// <summary>Returns the cgroup and cgroup2 mounts in mount order; other lines are ignored.</summary>
    public static IReadOnlyList<CgroupMount> Parse(string mountInfo)
    {
        var mounts = new List<CgroupMount>();
        foreach (var rawLine in mountInfo.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0)
                continue;
            // Format: id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0)
                continue;
            var left = line[..separator].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var right = line[(separator + 3)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (left.Length < 5 || right.Length < 1)
                continue;
            var fsType = right[0];
            if (fsType != "cgroup" && fsType != "cgroup2")
                continue;
            var root = Unescape(left[3]);
            var mountPoint = Unescape(left[4]);
            if (fsType == "cgroup2")
            {
                mounts.Add(new CgroupMount(mountPoint, root, IsV2: true, []));
                continue;
            }
            var superOptions = right.Length >= 3 ? right[2] : string.Empty;
            var controllers = superOptions.Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Where(o => V1Controllers.Contains(o) || o.StartsWith("name=", StringComparison.Ordinal))
                .ToArray();
            mounts.Add(new CgroupMount(mountPoint, root, IsV2: false, controllers));
        }
        return mounts;
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var bytes = new List<byte>(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                bytes.Add((byte)(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
