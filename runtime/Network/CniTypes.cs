using System.Net;

namespace CriShim.Oci.Network;

/// <summary>Where CNI configs and plugins live and where results are cached.</summary>
/// <param name="ConfDir">Network configs: the first *.conf/*.conflist/*.json by name is used (as containerd does).</param>
/// <param name="BinDirs">Plugin directories (CNI_PATH).</param>
/// <param name="CacheDir">Per-pod record of the config and result, so DEL works after a restart or a config change.</param>
public sealed record CniSettings(string ConfDir, IReadOnlyList<string> BinDirs, string CacheDir)
{
    public TimeSpan PluginTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public string InterfaceName { get; init; } = "eth0";
}

/// <summary>One host port exposed by the portmap plugin.</summary>
public sealed record CniPortMapping(int HostPort, int ContainerPort, string Protocol = "tcp", string? HostIP = null);

/// <summary>Traffic shaping for the bandwidth plugin (bits per second / bits).</summary>
public sealed record CniBandwidth(long? IngressRate = null, long? IngressBurst = null, long? EgressRate = null, long? EgressBurst = null);

/// <summary>The pod being attached: identity for CNI_ARGS and runtime config for capable plugins.</summary>
/// <param name="PodId">Sandbox id (CNI_CONTAINERID).</param>
/// <param name="NetNsPath">The pod's pinned network namespace (CNI_NETNS).</param>
public sealed record CniPod(string PodId, string Name, string Namespace, string Uid, string NetNsPath)
{
    public IReadOnlyList<CniPortMapping> PortMappings { get; init; } = [];
    public CniBandwidth? Bandwidth { get; init; }
}

/// <summary>An address CNI gave the pod.</summary>
public sealed record CniIp(IPAddress Address, int PrefixLength, IPAddress? Gateway, string? Interface)
{
    public override string ToString() => $"{Address}/{PrefixLength}";
}

/// <summary>The final result of the ADD chain.</summary>
public sealed record CniResult(string CniVersion, IReadOnlyList<CniIp> Ips, string Json)
{
    /// <summary>Pod IPs, IPv4 first (CRI reports the first as the pod's primary IP).</summary>
    public IReadOnlyList<IPAddress> PodIps =>
        Ips.OrderBy(ip => ip.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1)
           .Select(ip => ip.Address).Distinct().ToList();
}

/// <summary>Whether pods can be networked, and why not.</summary>
public sealed record CniStatus(bool Ready, string? Reason, string? NetworkName, string? ConfFile);

/// <summary>A CNI plugin failed; Code/Msg/Details are the plugin's error object when it printed one.</summary>
public sealed class CniException(string plugin, string command, int code, string msg, string? details = null)
    : Exception($"CNI plugin {plugin} {command} failed: {msg}{(string.IsNullOrEmpty(details) ? "" : " (" + details + ")")}")
{
    public string Plugin { get; } = plugin;
    public string Command { get; } = command;
    public int Code { get; } = code;
    public string Msg { get; } = msg;
    public string? Details { get; } = details;
}
