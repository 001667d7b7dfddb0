namespace CriShim.Config;

/// <summary>Daemon configuration: embedded defaults, overridden by the JSON file (--config), then by flags.</summary>
public sealed class CriShimOptions
{
    public string Listen { get; set; } = "unix:///run/crishim/crishim.sock";
    /// <summary>Persistent data: images, pod and container records, logs by default.</summary>
    public string Root { get; set; } = "/var/lib/crishim";
    /// <summary>Runtime state that dies with the machine: bundles, namespace pins, monitor sockets.</summary>
    public string State { get; set; } = "/run/crishim";
    public string LogLevel { get; set; } = "Information";
    public CniOptions Cni { get; set; } = new();
    public RegistryOptions Registry { get; set; } = new();
    public ImageOptions Images { get; set; } = new();
    /// <summary>The exec/attach/port-forward server: address, timeouts and limits.</summary>
    public CriShim.Streaming.StreamingServerOptions Streaming { get; set; } = new();
    /// <summary>host:port of the Prometheus /metrics endpoint; empty (the default) turns it off.</summary>
    public MetricsOptions Metrics { get; set; } = new();
    /// <summary>Path of the runc binary (the "runc" handler when "runtimes" is not configured).</summary>
    public string Runc { get; set; } = "runc";
    /// <summary>RuntimeClass handlers by name; empty means runc, crun and runsc (see RuntimeClassOptions.Defaults).</summary>
    public Dictionary<string, CriShim.RuntimeClasses.RuntimeClassOptions> Runtimes { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The handler of pods that name none (RuntimeClass handler "").</summary>
    public string DefaultRuntime { get; set; } = "runc";
    /// <summary>Path of the conmon binary (the per-container monitor).</summary>
    public string Conmon { get; set; } = "conmon";

    public string SocketPath => Listen.StartsWith("unix://", StringComparison.Ordinal) ? Listen["unix://".Length..] : Listen;
}

public sealed class CniOptions
{
    public string ConfDir { get; set; } = "/etc/cni/net.d";
    public string BinDir { get; set; } = "/usr/lib/cni";
}

public sealed class RegistryOptions
{
    /// <summary>Registry host → endpoints tried in order before the host itself, e.g. "docker.io": ["http://localhost:5000"].</summary>
    public Dictionary<string, List<string>> Mirrors { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Hosts (host[:port]) reached over plain HTTP. Loopback hosts always are.</summary>
    public List<string> Insecure { get; set; } = [];
}

/// <summary>Caps on what one image layer may unpack to (a layer over either is refused and leaves nothing).</summary>
public sealed class ImageOptions
{
    /// <summary>Uncompressed bytes of one layer's tar.</summary>
    public long MaxLayerBytes { get; set; } = 64L * 1024 * 1024 * 1024;
    /// <summary>Entries (files, directories, links, whiteouts...) in one layer.</summary>
    public long MaxLayerEntries { get; set; } = 1_000_000;
}

public sealed class MetricsOptions
{
    public string Address { get; set; } = "";
}
