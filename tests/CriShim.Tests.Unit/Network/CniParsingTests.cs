using System.Text.Json.Nodes;
using CriShim.Oci.Network;

namespace CriShim.Tests.Unit.Network;

public sealed class CniParsingTests
{
    [Test]
    public void A_conflist_is_parsed_with_its_plugins()
    {
        var c = CniNetworkConfig.Parse("""{"cniVersion":"1.0.0","name":"k8s","disableCheck":true,"plugins":[{"type":"bridge"},{"type":"portmap","capabilities":{"portMappings":true}}]}""");
        Assert.That(c.Name, Is.EqualTo("k8s"));
        Assert.That(c.CniVersion, Is.EqualTo("1.0.0"));
        Assert.That(c.PluginTypes, Is.EqualTo(new[] { "bridge", "portmap" }));
        Assert.That(c.DisableCheck, Is.True);
    }

    [Test]
    public void A_single_plugin_conf_becomes_a_list_of_one()
    {
        var c = CniNetworkConfig.Parse("""{"cniVersion":"0.4.0","name":"net","type":"bridge","bridge":"br0"}""");
        Assert.That(c.PluginTypes, Is.EqualTo(new[] { "bridge" }));
        var plugin = JsonNode.Parse(c.Json)!["plugins"]!.AsArray().Single()!;
        Assert.That(((string?)plugin["type"], (string?)plugin["bridge"]), Is.EqualTo(("bridge", "br0")), "the plugin keeps its own settings");
    }

    [TestCase("""{"cniVersion":"1.0.0","plugins":[{"type":"bridge"}]}""", "name")]
    [TestCase("""{"name":"x","plugins":[]}""", "empty")]
    [TestCase("""{"name":"x"}""", "neither")]
    [TestCase("""{"name":"x","plugins":[{"bridge":"b"}]}""", "type")]
    [TestCase("not json", "invalid JSON")]
    public void Invalid_configs_say_why(string json, string reason)
    {
        var e = Assert.Throws<FormatException>(() => CniNetworkConfig.Parse(json));
        Assert.That(e!.Message, Does.Contain(reason));
    }

    [Test]
    public void The_first_valid_config_by_file_name_is_the_default()
    {
        var dir = Directory.CreateTempSubdirectory("crishim-unit-cni-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "05-broken.conf"), "{");
            File.WriteAllText(Path.Combine(dir, "10-b.conflist"), """{"cniVersion":"1.0.0","name":"b","plugins":[{"type":"bridge"}]}""");
            File.WriteAllText(Path.Combine(dir, "20-a.conflist"), """{"cniVersion":"1.0.0","name":"a","plugins":[{"type":"bridge"}]}""");
            File.WriteAllText(Path.Combine(dir, "00-ignored.txt"), "x");
            Assert.That(CniNetworkConfig.LoadDefault(dir, out _)!.Name, Is.EqualTo("b"));
            Assert.That(CniNetworkConfig.LoadDefault(Path.Combine(dir, "missing"), out var reason), Is.Null);
            Assert.That(reason, Does.Contain("does not exist"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void Plugin_config_gets_name_version_prev_result_and_only_its_capabilities()
    {
        var plugin = JsonNode.Parse("""{"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false}}""")!.AsObject();
        var pod = new CniPod("p1", "web", "ns", "uid", "/run/ns/p1/net")
        {
            PortMappings = [new CniPortMapping(8080, 80, "TCP", "127.0.0.1")],
            Bandwidth = new CniBandwidth(IngressRate: 1000),
        };
        var conf = JsonNode.Parse(CniNetworkConfig.PluginConfig(plugin, "k8s", "1.0.0", JsonNode.Parse("""{"cniVersion":"1.0.0","ips":[]}"""), CniManager.RuntimeConfig(pod)))!;
        Assert.That((string?)conf["name"], Is.EqualTo("k8s"));
        Assert.That((string?)conf["cniVersion"], Is.EqualTo("1.0.0"));
        Assert.That(conf["prevResult"]!.ToJsonString(), Is.EqualTo("""{"cniVersion":"1.0.0","ips":[]}"""));
        var pm = conf["runtimeConfig"]!["portMappings"]![0]!;
        Assert.That((int)pm["hostPort"]!, Is.EqualTo(8080));
        Assert.That((int)pm["containerPort"]!, Is.EqualTo(80));
        Assert.That((string?)pm["protocol"], Is.EqualTo("tcp"));
        Assert.That((string?)pm["hostIP"], Is.EqualTo("127.0.0.1"));
        Assert.That(conf["runtimeConfig"]!["bandwidth"], Is.Null, "capability not enabled");
    }

    [Test]
    public void A_plugin_without_capabilities_gets_no_runtime_config_and_no_prev_result_on_first_add()
    {
        var plugin = JsonNode.Parse("""{"type":"bridge","runtimeConfig":{"stale":1}}""")!.AsObject();
        var conf = JsonNode.Parse(CniNetworkConfig.PluginConfig(plugin, "n", "1.0.0", null,
            CniManager.RuntimeConfig(new CniPod("p", "n", "ns", "u", "/x") { PortMappings = [new CniPortMapping(1, 2)] })))!;
        Assert.That(conf["runtimeConfig"], Is.Null);
        Assert.That(conf["prevResult"], Is.Null);
    }

    [Test]
    public void Cni_args_carry_the_kubernetes_pod_identity()
    {
        var args = CniManager.CniArgs(new CniPod("sandbox1", "web", "prod", "u-1", "/x"));
        Assert.That(args, Is.EqualTo("IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=sandbox1;K8S_POD_UID=u-1"));
    }

    [Test]
    public void A_1_0_result_gives_pod_ips_ipv4_first_with_interface_names()
    {
        var r = CniResultParser.Parse("""
            {"cniVersion":"1.0.0",
             "interfaces":[{"name":"cni0","mac":"aa"},{"name":"veth1","mac":"bb"},{"name":"eth0","mac":"cc","sandbox":"/run/ns/p/net"}],
             "ips":[{"address":"fd00::5/64","interface":2},{"address":"10.99.0.5/24","gateway":"10.99.0.1","interface":2}],
             "routes":[{"dst":"0.0.0.0/0"}],"dns":{}}
            """);
        Assert.That(r.PodIps.Select(i => i.ToString()), Is.EqualTo(new[] { "10.99.0.5", "fd00::5" }));
        var v4 = r.Ips.Single(i => i.PrefixLength == 24);
        Assert.That(v4.Gateway!.ToString(), Is.EqualTo("10.99.0.1"));
        Assert.That(v4.Interface, Is.EqualTo("eth0"));
    }

    [Test]
    public void A_0_2_result_with_ip4_is_understood()
    {
        var r = CniResultParser.Parse("""{"cniVersion":"0.2.0","ip4":{"ip":"10.1.2.3/16","gateway":"10.1.0.1"}}""");
        Assert.That(r.PodIps.Single().ToString(), Is.EqualTo("10.1.2.3"));
        Assert.That(r.Ips.Single().PrefixLength, Is.EqualTo(16));
    }

    [TestCase("net.ipv4.ip_forward", "net/ipv4/ip_forward")]
    [TestCase("net/ipv4/conf/eth0.100/forwarding", "net/ipv4/conf/eth0.100/forwarding")]
    [TestCase("kernel.shmmax", "kernel/shmmax")]
    public void Sysctl_names_map_to_proc_paths(string key, string path) => Assert.That(NamespacePins.SysctlPath(key), Is.EqualTo(path));

    [TestCase("net/../../etc/passwd")]
    [TestCase("net.ipv4.ip_forward; rm")]
    public void Sysctl_names_that_escape_proc_sys_are_rejected(string key) =>
        Assert.Throws<ArgumentException>(() => NamespacePins.SysctlPath(key));
}
