using System.Text.Json.Nodes;
using CriShim.Bench.Infra;

namespace CriShim.Bench.Runtimes;

/// <summary>CriShim as published from this checkout (out/crishim/crishim), with a config of its own.</summary>
sealed class CriShimRuntime(string binary) : RuntimeUnderTest("crishim", "CriShim", "crishimbench0", "10.77.0.0/24")
{
    protected override (string File, string[] Args) Prepare(LocalRegistry registry)
    {
        if (!File.Exists(binary)) throw new FileNotFoundException($"{binary} is missing: run `dotnet publish src -c Release -o out/crishim` (make bench does)");
        var config = Path.Combine(BaseDir, "crishim.json");
        var json = new JsonObject
        {
            ["listen"] = $"unix://{Socket}",
            ["root"] = Root,
            ["state"] = State,
            ["logLevel"] = "Warning",
            ["cni"] = new JsonObject { ["confDir"] = Network.ConfDir, ["binDir"] = CniNetwork.BinDir },
            ["registry"] = new JsonObject
            {
                ["mirrors"] = new JsonObject { ["docker.io"] = new JsonArray(registry.Endpoint) },
            },
            ["streaming"] = new JsonObject { ["address"] = "127.0.0.1:0" },
        };
        File.WriteAllText(config, json.ToJsonString(new() { WriteIndented = true }));
        return (binary, ["--config", config]);
    }

    public override async Task<string> DescribeAsync()
    {
        var git = await Shell.FirstLineAsync("git", "-C", Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(binary)!)!)!, "describe", "--always", "--dirty");
        return $"CriShim {git}";
    }
}
