using System.Text;
using CriShim.Oci.Specs;

namespace CriShim.Oci.Pod;

/// <summary>DNS settings of a pod (CRI DNSConfig); all empty means "use the host's resolv.conf".</summary>
public sealed record DnsSettings(IReadOnlyList<string> Servers, IReadOnlyList<string> Searches, IReadOnlyList<string> Options)
{
    public bool IsEmpty => Servers.Count == 0 && Searches.Count == 0 && Options.Count == 0;
}

/// <summary>What the pod files are made from.</summary>
public sealed record PodFilesInput
{
    /// <summary>The pod hostname; empty = the host's hostname (what host-network pods get).</summary>
    public string? Hostname { get; init; }
    public DnsSettings? Dns { get; init; }
    public bool HostNetwork { get; init; }
    /// <summary>Pod IPs, when known, mapped to the hostname in /etc/hosts.</summary>
    public IReadOnlyList<string> PodIps { get; init; } = [];
    public string HostHostsPath { get; init; } = "/etc/hosts";
    public string HostResolvConfPath { get; init; } = "/etc/resolv.conf";
    public string HostHostnamePath { get; init; } = "/proc/sys/kernel/hostname";
}

/// <summary>
/// Writes a pod's hostname, hosts and resolv.conf into its directory; containers bind-mount them. Files are
/// rewritten in place (not renamed) so that bind mounts already made keep seeing the current content.
/// </summary>
public static class PodFiles
{
    public const string HostnameFile = "hostname", HostsFile = "hosts", ResolvConfFile = "resolv.conf", ShmDir = "shm";

    /// <summary>Writes the three files and returns their paths (with <c>Shm</c> = podDir/shm, which the caller mounts).</summary>
    public static async Task<PodFilePaths> WriteAsync(string podDir, PodFilesInput input, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(podDir);
        var hostname = string.IsNullOrEmpty(input.Hostname) ? await HostHostnameAsync(input, cancellationToken) : input.Hostname;
        var paths = new PodFilePaths(
            Path.Combine(podDir, HostnameFile), Path.Combine(podDir, HostsFile), Path.Combine(podDir, ResolvConfFile), Path.Combine(podDir, ShmDir));
        await File.WriteAllTextAsync(paths.Hostname!, hostname + "\n", cancellationToken);
        await WriteHostsAsync(paths.Hosts!, input with { Hostname = hostname }, cancellationToken);
        var resolv = input.Dns is null || input.Dns.IsEmpty
            ? await ReadOrEmptyAsync(input.HostResolvConfPath, cancellationToken)
            : RenderResolvConf(input.Dns);
        await File.WriteAllTextAsync(paths.ResolvConf!, resolv, cancellationToken);
        return paths;
    }

    /// <summary>(Re)writes the hosts file, e.g. once the pod IP is known; host-network pods get a copy of the host's.</summary>
    public static async Task WriteHostsAsync(string path, PodFilesInput input, CancellationToken cancellationToken = default)
    {
        var content = input.HostNetwork
            ? await ReadOrEmptyAsync(input.HostHostsPath, cancellationToken)
            : RenderHosts(input.Hostname, input.PodIps);
        await File.WriteAllTextAsync(path, content, cancellationToken);
    }

    /// <summary>Kubelet-style hosts: loopback and IPv6 well-known names, then each pod IP with the hostname.</summary>
    public static string RenderHosts(string? hostname, IEnumerable<string> podIps)
    {
        var sb = new StringBuilder();
        sb.Append("# Kubernetes-managed hosts file.\n");
        sb.Append("127.0.0.1\tlocalhost\n");
        sb.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        sb.Append("fe00::0\tip6-localnet\n");
        sb.Append("fe00::0\tip6-mcastprefix\n");
        sb.Append("fe00::1\tip6-allnodes\n");
        sb.Append("fe00::2\tip6-allrouters\n");
        if (!string.IsNullOrEmpty(hostname))
            foreach (var ip in podIps.Where(ip => !string.IsNullOrEmpty(ip)))
                sb.Append(ip).Append('\t').Append(hostname).Append('\n');
        return sb.ToString();
    }

    /// <summary>resolv.conf from CRI DNSConfig: search line, one nameserver line per server, options line.</summary>
    public static string RenderResolvConf(DnsSettings dns)
    {
        var sb = new StringBuilder();
        if (dns.Searches.Count > 0) sb.Append("search ").AppendJoin(' ', dns.Searches).Append('\n');
        foreach (var server in dns.Servers) sb.Append("nameserver ").Append(server).Append('\n');
        if (dns.Options.Count > 0) sb.Append("options ").AppendJoin(' ', dns.Options).Append('\n');
        return sb.ToString();
    }

    private static async Task<string> HostHostnameAsync(PodFilesInput input, CancellationToken cancellationToken) =>
        (await ReadOrEmptyAsync(input.HostHostnamePath, cancellationToken)).Trim() is { Length: > 0 } name ? name : Environment.MachineName;

    private static async Task<string> ReadOrEmptyAsync(string path, CancellationToken cancellationToken) =>
        File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken) : "";
}
