using System.Globalization;

namespace CriShim.Oci.Specs;

/// <summary>The identity a container process runs with.</summary>
public sealed record ResolvedUser(uint Uid, uint Gid, string Home, string? Name, IReadOnlyList<uint> AdditionalGids);

/// <summary>
/// Resolves "user[:group]" against the /etc/passwd and /etc/group of a container rootfs, like runc/containerd:
/// names must exist, numeric ids need not (gid 0, home "/"), and the groups listing the user become additional gids.
/// </summary>
public static class UserResolver
{
    private sealed record PasswdEntry(string Name, uint Uid, uint Gid, string Home);
    private sealed record GroupEntry(string Name, uint Gid, IReadOnlyList<string> Members);

    /// <summary>Builds the user string CRI asks for: run_as_user/run_as_username win over the image user; run_as_group sets the group.</summary>
    public static string UserString(long? runAsUser, string? runAsUsername, long? runAsGroup, string? imageUser)
    {
        string user;
        if (runAsUser is { } uid) user = uid.ToString(CultureInfo.InvariantCulture);
        else if (!string.IsNullOrEmpty(runAsUsername)) user = runAsUsername;
        else user = string.IsNullOrEmpty(imageUser) ? "" : imageUser;
        if (runAsGroup is { } gid)
        {
            var name = user.Split(':', 2)[0];
            user = (name.Length == 0 ? "0" : name) + ":" + gid.ToString(CultureInfo.InvariantCulture);
        }
        return user;
    }

    /// <summary>Resolves <paramref name="user"/> ("", "name", "uid", "name:group", "uid:gid") in <paramref name="rootfs"/>.</summary>
    public static ResolvedUser Resolve(string rootfs, string? user, IEnumerable<long>? supplementalGroups = null)
    {
        var spec = string.IsNullOrWhiteSpace(user) ? "0" : user.Trim();
        var parts = spec.Split(':', 2);
        var userPart = parts[0].Length == 0 ? "0" : parts[0];
        var groupPart = parts.Length > 1 ? parts[1] : null;

        var passwd = ReadPasswd(rootfs);
        PasswdEntry? entry;
        uint uid;
        if (TryId(userPart, out var numericUid))
        {
            uid = numericUid;
            entry = passwd.FirstOrDefault(p => p.Uid == uid);
        }
        else
        {
            entry = passwd.FirstOrDefault(p => p.Name == userPart)
                ?? throw new SpecException($"user \"{userPart}\" not found in the image's /etc/passwd");
            uid = entry.Uid;
        }

        var groups = ReadGroups(rootfs);
        uint gid = entry?.Gid ?? 0;
        if (!string.IsNullOrEmpty(groupPart))
        {
            if (TryId(groupPart, out var numericGid)) gid = numericGid;
            else gid = (groups.FirstOrDefault(g => g.Name == groupPart)
                ?? throw new SpecException($"group \"{groupPart}\" not found in the image's /etc/group")).Gid;
        }

        var additional = new List<uint> { gid };
        if (entry is not null)
            foreach (var g in groups.Where(g => g.Members.Contains(entry.Name)))
                if (!additional.Contains(g.Gid)) additional.Add(g.Gid);
        foreach (var extra in supplementalGroups ?? [])
        {
            if (extra is < 0 or > uint.MaxValue) throw new SpecException($"supplemental group {extra} is out of range");
            if (!additional.Contains((uint)extra)) additional.Add((uint)extra);
        }
        var home = string.IsNullOrEmpty(entry?.Home) ? "/" : entry.Home;
        return new ResolvedUser(uid, gid, home, entry?.Name, additional);
    }

    private static bool TryId(string text, out uint id) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);

    private static IEnumerable<string[]> ReadColonFile(string rootfs, string path)
    {
        string file;
        try { file = RootfsPath.Resolve(rootfs, path); }
        catch (IOException) { yield break; }
        if (!File.Exists(file)) yield break;
        foreach (var line in File.ReadLines(file))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            yield return line.Split(':');
        }
    }

    private static List<PasswdEntry> ReadPasswd(string rootfs) =>
        ReadColonFile(rootfs, "/etc/passwd")
            .Where(f => f.Length >= 4 && TryId(f[2], out _) && TryId(f[3], out _))
            .Select(f => new PasswdEntry(f[0], uint.Parse(f[2], CultureInfo.InvariantCulture), uint.Parse(f[3], CultureInfo.InvariantCulture),
                f.Length > 5 ? f[5] : ""))
            .ToList();

    private static List<GroupEntry> ReadGroups(string rootfs) =>
        ReadColonFile(rootfs, "/etc/group")
            .Where(f => f.Length >= 3 && TryId(f[2], out _))
            .Select(f => new GroupEntry(f[0], uint.Parse(f[2], CultureInfo.InvariantCulture),
                f.Length > 3 ? f[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : []))
            .ToList();
}
