using System.Text.Json.Nodes;
using CriShim.Bench.Infra;

namespace CriShim.Tests.Unit.Bench;

public sealed class CniNetworkTests
{
    static readonly CniNetwork Network = new("crishimbench", "crishimbench0", "10.77.0.0/24", "/b/cni", "/b/cni-ipam");

    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CriShim.sln"))) return dir.FullName;
        throw new InvalidOperationException("no CriShim.sln above the test directory");
    }

    [Test]
    public async Task The_bench_network_keeps_the_chain_make_run_installs_on_its_own_bridge_and_subnet()
    {
        var template = await CniTemplate.FromInstallScriptAsync(RepoRoot());
        var conf = Network.Render(template);
        var plugins = conf["plugins"]!.AsArray().Select(p => p!.AsObject()).ToList();
        Assert.That(plugins.Select(p => (string?)p["type"]), Is.EqualTo(template["plugins"]!.AsArray().Select(p => (string?)p!["type"])));
        Assert.That(plugins.Select(p => (string?)p["type"]), Does.Contain("portmap"));
        var bridge = plugins.Single(p => (string?)p["type"] == "bridge");
        Assert.That((bool?)bridge["ipMasq"], Is.True);
        Assert.That((string?)bridge["bridge"], Is.EqualTo("crishimbench0"));
        Assert.That((string?)bridge["ipam"]!["ranges"]![0]![0]!["subnet"], Is.EqualTo("10.77.0.0/24"));
        Assert.That((string?)bridge["ipam"]!["dataDir"], Is.EqualTo("/b/cni-ipam"));
        Assert.That((string?)conf["name"], Is.EqualTo("crishimbench"));
        Assert.That((string?)template["name"], Is.EqualTo("crishim"), "rendering must not change the template");
    }

    [Test]
    public void The_minimal_network_is_a_bare_bridge_without_masquerade()
    {
        var conf = Network.Render(CniTemplate.Minimal());
        var plugins = conf["plugins"]!.AsArray();
        Assert.That(plugins.Select(p => (string?)p!["type"]), Is.EqualTo(new[] { "bridge" }));
        Assert.That((bool?)plugins[0]!["ipMasq"], Is.False);
        Assert.That(CniTemplate.Describe(CniTemplate.Minimal()), Is.EqualTo("bridge"));
    }

    [Test]
    public void The_chain_is_described_in_order_with_masquerade_named()
    {
        var t = JsonNode.Parse("""{"plugins":[{"type":"bridge","ipMasq":true},{"type":"portmap"},{"type":"firewall"}]}""")!.AsObject();
        Assert.That(CniTemplate.Describe(t), Is.EqualTo("bridge (ipMasq) → portmap → firewall"));
    }

    [Test]
    public void Leftover_iptables_rules_are_found_by_the_networks_name_or_pod_addresses_only()
    {
        const string saved = """
            *nat
            :CNI-0a1b2c - [0:0]
            -A POSTROUTING -s 10.77.0.5/32 -m comment --comment "name: \"crishimbench\" id: \"abc\"" -j CNI-0a1b2c
            -A CNI-0a1b2c -d 10.77.0.0/24 -m comment --comment "name: \"crishimbench\" id: \"abc\"" -j ACCEPT
            -A POSTROUTING -s 10.88.0.5/32 -m comment --comment "name: \"crishim\" id: \"def\"" -j CNI-ffff
            COMMIT
            *filter
            -A CNI-FORWARD -d 10.77.0.5/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A CNI-FORWARD -s 10.78.0.5/32 -j ACCEPT
            COMMIT
            """;
        var owned = IptablesRules.Owned(saved, Network);
        Assert.That(owned.Select(r => r.Table), Is.EqualTo(new[] { "nat", "nat", "filter" }));
        Assert.That(owned.All(r => r.Rule.Contains("10.77.0.")), Is.True);
    }
}
