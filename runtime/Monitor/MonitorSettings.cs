namespace CriShim.Oci.Monitor;

/// <summary>Where the monitor keeps its files, and which conmon it runs. The runtime binary, its --root and extra
/// global flags are the monitor's <see cref="Runc.RuncClient"/>'s: conmon passes them to every runc it starts.</summary>
/// <param name="ConmonBinary">conmon (name on PATH or absolute path).</param>
/// <param name="StateDir">Monitor state, e.g. STATE/conmon: exits/, c/ID (persist dirs), s/ (attach socket links).
/// Keep it short: the attach socket path (StateDir/s/ID/attach) must fit 107 bytes.</param>
public sealed record MonitorSettings(string ConmonBinary, string StateDir)
{
    /// <summary>conmon's --log-level (error, warn, info, debug, trace).</summary>
    public string LogLevel { get; init; } = "info";
    /// <summary>How long `runc create` under conmon may take before the create is abandoned.</summary>
    public TimeSpan CreateTimeout { get; init; } = TimeSpan.FromMinutes(4);

    public string ExitDir => Path.Combine(StateDir, "exits");
    public string PersistRoot => Path.Combine(StateDir, "c");
    public string SocketDir => Path.Combine(StateDir, "s");
}

/// <summary>What conmon needs to create one container from a bundle written by the OCI layer.</summary>
/// <param name="Id">Container id (runc id, conmon -c/-u).</param>
/// <param name="Name">Human-readable name (conmon -n).</param>
/// <param name="BundlePath">Directory with config.json; conmon also puts its ctl/winsz fifos and attach socket here.</param>
/// <param name="LogPath">CRI log file conmon writes (k8s-file format).</param>
public sealed record ContainerLaunchSpec(string Id, string Name, string BundlePath, string LogPath)
{
    /// <summary>config.json has process.terminal=true (conmon passes --console-socket to runc).</summary>
    public bool Terminal { get; init; }
    /// <summary>Keep a stdin pipe for attach.</summary>
    public bool Stdin { get; init; }
    /// <summary>Close stdin after the first attach session detaches.</summary>
    public bool StdinOnce { get; init; }
    /// <summary>conmon --log-size-max (bytes); null = unlimited.</summary>
    public long? LogSizeMax { get; init; }
}

/// <summary>How a container ended, as conmon recorded it.</summary>
/// <param name="ExitCode">Exit status; 128+N when killed by signal N.</param>
/// <param name="FinishedAt">When conmon wrote the exit file.</param>
/// <param name="OomKilled">conmon saw the container's cgroup run out of memory.</param>
public sealed record ContainerExit(string Id, int ExitCode, DateTimeOffset FinishedAt, bool OomKilled = false);

/// <summary>Files conmon exposes for one container (for the streaming server and log rotation).</summary>
/// <param name="AttachSocket">SOCK_SEQPACKET socket: reads carry a first byte 2 (stdout) or 3 (stderr) then data;
/// writes go to the container's stdin (when launched with Stdin).</param>
/// <param name="ControlFifo">Write "1 H W\n" to resize the tty, "2 0 0\n" to reopen the log file.</param>
public sealed record MonitorPaths(
    string PersistDir,
    string ConmonPidFile,
    string ContainerPidFile,
    string ExitFile,
    string AttachSocket,
    string ControlFifo,
    string WinszFifo,
    string ConmonStderrFile);
