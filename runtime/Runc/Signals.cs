namespace CriShim.Oci.Runc;

/// <summary>Linux signal numbers (x86_64/arm64) and parsing of the names CRI and images use ("SIGTERM", "TERM", "15").</summary>
public static class Signals
{
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12, SIGTERM = 15;

    private static readonly Dictionary<string, int> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ILL"] = 4, ["TRAP"] = 5, ["ABRT"] = 6, ["IOT"] = 6, ["BUS"] = 7,
        ["FPE"] = 8, ["KILL"] = 9, ["USR1"] = 10, ["SEGV"] = 11, ["USR2"] = 12, ["PIPE"] = 13, ["ALRM"] = 14,
        ["TERM"] = 15, ["STKFLT"] = 16, ["CHLD"] = 17, ["CONT"] = 18, ["STOP"] = 19, ["TSTP"] = 20, ["TTIN"] = 21,
        ["TTOU"] = 22, ["URG"] = 23, ["XCPU"] = 24, ["XFSZ"] = 25, ["VTALRM"] = 26, ["PROF"] = 27, ["WINCH"] = 28,
        ["IO"] = 29, ["POLL"] = 29, ["PWR"] = 30, ["SYS"] = 31,
    };

    /// <summary>Parses "SIGTERM", "TERM", "15" or "SIGRTMIN+3"; null when unknown.</summary>
    public static int? Parse(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var s = name.Trim();
        if (int.TryParse(s, out var n)) return n is > 0 and < 65 ? n : null;
        if (s.StartsWith("SIG", StringComparison.OrdinalIgnoreCase)) s = s[3..];
        if (Names.TryGetValue(s, out var v)) return v;
        if (s.StartsWith("RTMIN", StringComparison.OrdinalIgnoreCase))
        {
            var rest = s[5..];
            if (rest.Length == 0) return 34;
            if (rest[0] == '+' && int.TryParse(rest[1..], out var k) && 34 + k <= 64) return 34 + k;
        }
        if (s.StartsWith("RTMAX", StringComparison.OrdinalIgnoreCase))
        {
            var rest = s[5..];
            if (rest.Length == 0) return 64;
            if (rest[0] == '-' && int.TryParse(rest[1..], out var k) && 64 - k >= 34) return 64 - k;
        }
        return null;
    }
}
