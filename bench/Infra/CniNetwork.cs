using System.Text.Json.Nodes;

namespace CriShim.Bench.Infra;

/// <summary>A bridge network of its own per runtime, so the two never share a bridge, a subnet or IPAM state.</summary>
sealed record CniNetwork(string Name, string Bridge, string Subnet, string ConfDir, string IpamDir)
{
    public const string BinDir = "/usr/lib/cni";

    public void Write()
    {
        Directory.CreateDirectory(ConfDir);
        var conf = new JsonObject
        {
            ["cniVersion"] = "0.4.0",
            ["name"] = Name,
            ["plugins"] = new JsonArray(new JsonObject
            {
                ["type"] = "bridge",
                ["bridge"] = Bridge,
                ["isGateway"] = true,
                ["ipMasq"] = false, // no iptables rules: nothing on the host outside our bridge changes
                ["ipam"] = new JsonObject
                {
                    ["type"] = "host-local",
                    ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = Subnet })),
                    ["dataDir"] = IpamDir,
                },
            }),
        };
        File.WriteAllText(Path.Combine(ConfDir, $"10-{Name}.conflist"), conf.ToJsonString(new() { WriteIndented = true }));
    }

    /// <summary>Deletes the bridge and the CNI result cache entries of this network.</summary>
    public async Task RemoveAsync()
    {
        if (Directory.Exists($"/sys/class/net/{Bridge}"))
            await Shell.RunAsync("ip", ["link", "del", Bridge]);
        const string cache = "/var/lib/cni/results";
        if (Directory.Exists(cache))
            foreach (var f in Directory.EnumerateFiles(cache, $"{Name}-*")) File.Delete(f);
    }
}
