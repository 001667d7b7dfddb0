using System.Diagnostics;
using CriShim.Oci.Network;
using CriShim.Tests.Integration.Support;

namespace CriShim.Tests.Integration.Network;

/// <summary>A private CNI setup: own conf dir, own bridge (crishimtest0), own subnet and IPAM store under /tmp.</summary>
public sealed class NetworkTestEnv : IDisposable
{
    public const string Bridge = "crishimtest0";
    public const string Subnet = "10.99.77.0/24";
    public const string Gateway = "10.99.77.1";

    public NetworkTestEnv()
    {
        Dir = new TempDir("crishim-net-");
        ConfDir = Dir.Sub("net.d");
        IpamDir = Dir.Sub("ipam");
        Pins = new NamespacePins(Dir.Sub("ns"));
        Settings = new CniSettings(ConfDir, ["/usr/lib/cni"], Path.Combine(Dir.Path, "cni-cache"));
        Cni = new CniManager(Settings);
    }

    public TempDir Dir { get; }
    public string ConfDir { get; }
    public string IpamDir { get; }
    public NamespacePins Pins { get; }
    public CniSettings Settings { get; }
    public CniManager Cni { get; }

    public static bool PluginsAvailable => File.Exists("/usr/lib/cni/bridge") && File.Exists("/usr/lib/cni/host-local");

    public void WriteBridgeConf(bool withPortmap = false)
    {
        var portmap = withPortmap ? """, {"type": "portmap", "capabilities": {"portMappings": true}}""" : "";
        File.WriteAllText(Path.Combine(ConfDir, "10-crishimtest.conflist"), $$"""
            {
              "cniVersion": "1.0.0",
              "name": "crishimtest",
              "plugins": [
                {
                  "type": "bridge",
                  "bridge": "{{Bridge}}",
                  "isGateway": true,
                  "ipMasq": false,
                  "hairpinMode": true,
                  "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": "{{Subnet}}"}]],
                    "dataDir": "{{IpamDir}}"
                  }
                }{{portmap}}
              ]
            }
            """);
    }

    /// <summary>Files host-local keeps per allocated IP (one per address, named after it).</summary>
    public IReadOnlyList<string> AllocatedIps() =>
        Directory.Exists(Path.Combine(IpamDir, "crishimtest"))
            ? Directory.GetFiles(Path.Combine(IpamDir, "crishimtest")).Select(Path.GetFileName).OfType<string>()
                .Where(n => n.Contains('.') && !n.StartsWith("last_reserved", StringComparison.Ordinal)).ToList()
            : [];

    public static (int Code, string Out) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, o);
    }

    /// <summary>portmap leaves its top-level chains behind; remove them when no pod uses them any more.</summary>
    public static void RemoveIdlePortmapChains()
    {
        var dnat = Run("iptables", "-t", "nat", "-S", "CNI-HOSTPORT-DNAT");
        if (dnat.Code != 0 || dnat.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length > 1) return;
        Run("iptables", "-t", "nat", "-D", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT");
        Run("iptables", "-t", "nat", "-D", "OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "CNI-HOSTPORT-DNAT");
        Run("iptables", "-t", "nat", "-D", "POSTROUTING", "-m", "comment", "--comment", "CNI portfwd requiring masquerade", "-j", "CNI-HOSTPORT-MASQ");
        foreach (var chain in new[] { "CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK" })
        {
            Run("iptables", "-t", "nat", "-F", chain);
            Run("iptables", "-t", "nat", "-X", chain);
        }
    }

    public void Dispose()
    {
        Run("ip", "link", "del", Bridge);
        Dir.Dispose();
    }
}
