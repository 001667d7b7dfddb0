namespace CriShim.Oci.Runc;

/// <summary>runc exited with an error; <see cref="Stderr"/> carries its message.</summary>
public sealed class RuncException(string command, int exitCode, string stderr)
    : Exception($"runc {command} failed (exit {exitCode}): {Clean(stderr)}")
{
    public string Command { get; } = command;
    public int ExitCode { get; } = exitCode;
    public string Stderr { get; } = stderr;

    /// <summary>The runtime's message says there is no such container (crun: its status file under --root is missing).</summary>
    public bool IsNotFound => Stderr.Contains("does not exist", StringComparison.OrdinalIgnoreCase)
                              || Stderr.Contains("container not found", StringComparison.OrdinalIgnoreCase)
                              || (Stderr.Contains("/status`: No such file or directory", StringComparison.Ordinal) && Stderr.Contains("error opening file", StringComparison.Ordinal));

    /// <summary>runc refused to signal a container that has already stopped.</summary>
    public bool IsNotRunning => Stderr.Contains("not running", StringComparison.OrdinalIgnoreCase)
                                || Stderr.Contains("process already finished", StringComparison.OrdinalIgnoreCase);

    /// <summary>runc's stderr is logrus text (`time=... level=error msg="..."`); keep the msg when there is one.</summary>
    internal static string Clean(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var msgs = new List<string>();
        foreach (var line in lines)
        {
            var i = line.IndexOf("msg=", StringComparison.Ordinal);
            if (i < 0) { msgs.Add(line); continue; }
            var m = line[(i + 4)..];
            if (m.StartsWith('"'))
            {
                var end = m.LastIndexOf('"');
                m = end > 0 ? m[1..end].Replace("\\\"", "\"") : m[1..];
            }
            msgs.Add(m);
        }
        return string.Join("; ", msgs);
    }
}
