using System.Net;
using System.Text.Json.Nodes;

namespace CriShim.Bench.Infra;

/// <summary>
/// A bridge network of its own per runtime, so the two never share a bridge, a subnet or IPAM state. Its plugin
/// chain is the one `make run` installs (<see cref="CniTemplate"/>) with this network's name, bridge and subnet.
/// </summary>
sealed record CniNetwork(string Name, string Bridge, string Subnet, string ConfDir, string IpamDir)
{
    public const string BinDir = "/usr/lib/cni";

    public string ConfFile => Path.Combine(ConfDir, $"10-{Name}.conflist");

    public void Write(JsonObject template)
    {
        Directory.CreateDirectory(ConfDir);
        File.WriteAllText(ConfFile, Render(template).ToJsonString(new() { WriteIndented = true }));
    }

    /// <summary>The template's chain with this network's name, and its bridge plugin on our bridge, subnet and IPAM directory.</summary>
    public JsonObject Render(JsonObject template)
    {
        var conf = template.DeepClone().AsObject();
        conf["name"] = Name;
        var bridge = conf["plugins"]!.AsArray().Select(p => p!.AsObject()).SingleOrDefault(p => (string?)p["type"] == "bridge")
            ?? throw new InvalidOperationException("the CNI template has no bridge plugin");
        bridge["bridge"] = Bridge;
        var ipam = bridge["ipam"]?.AsObject() ?? throw new InvalidOperationException("the CNI template's bridge plugin has no ipam");
        ipam["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = Subnet }));
        ipam["dataDir"] = IpamDir;
        return conf;
    }

    /// <summary>Deletes the bridge, iptables rules the plugins left for this network, and its CNI result cache entries.</summary>
    public async Task RemoveAsync()
    {
        if (Directory.Exists($"/sys/class/net/{Bridge}"))
            await Shell.RunAsync("ip", ["link", "del", Bridge]);
        await IptablesRules.RemoveAsync(this);
        const string cache = "/var/lib/cni/results";
        if (Directory.Exists(cache))
            foreach (var f in Directory.EnumerateFiles(cache, $"{Name}-*")) File.Delete(f);
    }

    /// <summary>True when the rule names this network (bridge ipMasq comments) or one of its pod addresses (firewall, portmap).</summary>
    public bool Owns(string iptablesRule)
    {
        if (iptablesRule.Contains($"name: \\\"{Name}\\\"", StringComparison.Ordinal)) return true;
        var subnet = IPNetwork.Parse(Subnet);
        var tokens = iptablesRule.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i + 1 < tokens.Length; i++)
        {
            if (tokens[i] is not ("-s" or "-d")) continue;
            var address = tokens[i + 1].Split('/')[0];
            if (tokens[i + 1].EndsWith("/32", StringComparison.Ordinal) && IPAddress.TryParse(address, out var ip) && subnet.Contains(ip)) return true;
        }
        return false;
    }
}

/// <summary>Which CNI chain the runtimes get: `make run`'s (default) or the bare bridge of earlier runs (`--cni minimal`).</summary>
enum CniMode { Realistic, Minimal }

/// <summary>Where the bench's CNI chain comes from.</summary>
static class CniTemplate
{
    /// <summary>
    /// Runs scripts/install-cni-default.sh (what `make run` installs) into an empty directory and reads the
    /// conflist it writes, so the bench follows that script whenever it changes.
    /// </summary>
    public static async Task<JsonObject> FromInstallScriptAsync(string repoRoot, CancellationToken ct = default)
    {
        var dir = Directory.CreateTempSubdirectory("crishim-bench-cni.");
        try
        {
            var script = Path.Combine(repoRoot, "scripts", "install-cni-default.sh");
            var env = new Dictionary<string, string> { ["CNI_CONF_DIR"] = dir.FullName };
            (await Shell.RunAsync(script, [], ct, env: env)).EnsureSuccess(script);
            var file = Directory.EnumerateFiles(dir.FullName, "*.conflist").SingleOrDefault()
                ?? throw new InvalidOperationException($"{script} wrote no .conflist");
            return JsonNode.Parse(await File.ReadAllTextAsync(file, ct))!.AsObject();
        }
        finally { dir.Delete(recursive: true); }
    }

    /// <summary>The bare bridge the bench used before issue #15: no masquerade, portmap, firewall or tuning.</summary>
    public static JsonObject Minimal() => new()
    {
        ["cniVersion"] = "0.4.0",
        ["name"] = "minimal",
        ["plugins"] = new JsonArray(new JsonObject
        {
            ["type"] = "bridge",
            ["bridge"] = "cni0",
            ["isGateway"] = true,
            ["ipMasq"] = false,
            ["ipam"] = new JsonObject { ["type"] = "host-local" },
        }),
    };

    public static async Task<JsonObject> ForAsync(CniMode mode, string repoRoot, CancellationToken ct) =>
        mode == CniMode.Minimal ? Minimal() : await FromInstallScriptAsync(repoRoot, ct);

    /// <summary>"bridge (ipMasq) → portmap → firewall → tuning", for the report.</summary>
    public static string Describe(JsonObject template) => string.Join(" → ", template["plugins"]!.AsArray().Select(p =>
    {
        var type = (string?)p!["type"] ?? "?";
        return type == "bridge" && (bool?)p["ipMasq"] == true ? "bridge (ipMasq)" : type;
    }));
}
