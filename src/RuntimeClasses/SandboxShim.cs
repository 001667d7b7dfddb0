namespace CriShim.RuntimeClasses;

/// <summary>Writes the shell shim that stands in for a sandboxed runtime's binary (see sandbox-shim.sh for why):
/// a few settings, then the embedded script. Rewritten at every start, so it always matches this build.</summary>
public static class SandboxShim
{
    /// <summary>Writes DIR/shim for <paramref name="realBinary"/>; the shim keeps its per-container fifos in DIR/c.</summary>
    public static string Write(string dir, string realBinary, bool hideProcSysNet)
    {
        Directory.CreateDirectory(Path.Combine(dir, "c"));
        var path = Path.Combine(dir, "shim");
        using var resource = typeof(SandboxShim).Assembly.GetManifestResourceStream("CriShim.RuntimeClasses.sandbox-shim.sh")
            ?? throw new InvalidOperationException("sandbox-shim.sh is not embedded in the daemon");
        using var reader = new StreamReader(resource);
        var script = "#!/bin/sh\n" +
                     $"REAL={Quote(realBinary)}\n" +
                     $"SHIM_DIR={Quote(Path.Combine(dir, "c"))}\n" +
                     $"HIDE_PROC_SYS_NET={(hideProcSysNet ? 1 : 0)}\n" +
                     reader.ReadToEnd();
        var temp = path + ".tmp";
        File.WriteAllText(temp, script);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
