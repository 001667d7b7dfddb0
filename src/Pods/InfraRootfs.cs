using CriShim.Config;

namespace CriShim.Pods;

/// <summary>
/// The read-only rootfs of pod infra processes: an otherwise empty directory holding the static crishim-pause
/// (built with the runtime project and shipped beside the daemon) as /pause. Prepared once, shared by all pods.
/// </summary>
public sealed class InfraRootfs
{
    public string Path { get; }

    public InfraRootfs(DaemonLayout layout)
    {
        Path = layout.InfraRootfs;
        var source = System.IO.Path.Combine(AppContext.BaseDirectory, "crishim-pause");
        var target = System.IO.Path.Combine(Path, "pause");
        foreach (var dir in new[] { "dev", "proc", "sys", "etc" }) Directory.CreateDirectory(System.IO.Path.Combine(Path, dir));
        if (!File.Exists(target) || new FileInfo(target).Length != new FileInfo(source).Length)
        {
            var temp = target + ".tmp";
            File.Copy(source, temp, overwrite: true);
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.Move(temp, target, overwrite: true);
        }
    }
}
