using CriShim.Oci.Network;

namespace CriShim.Tests.Integration.Network;

[TestFixture, NonParallelizable]
public sealed class CniManagerTests
{
    private NetworkTestEnv _env = null!;

    [SetUp]
    public void SetUp()
    {
        if (!NetworkTestEnv.PluginsAvailable) Assert.Ignore("containernetworking-plugins are not installed");
        _env = new NetworkTestEnv();
    }

    [TearDown]
    public void TearDown() => _env.Dispose();

    private string CacheFile(string podId) => Path.Combine(_env.Settings.CacheDir, podId + ".json");

    /// <summary>The ADD result cached for the pod, or null when there is no cache or it holds none.</summary>
    private string? CachedResult(string podId) => File.Exists(CacheFile(podId))
        ? System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(CacheFile(podId)))!.AsObject()
            .FirstOrDefault(p => p.Key.Equals("Result", StringComparison.OrdinalIgnoreCase)).Value?.ToJsonString()
        : null;

    private async Task<(CniPod Pod, PodNamespaces Ns)> PodAsync(string id, params CniPortMapping[] ports)
    {
        var ns = await _env.Pins.CreateAsync(id, new PodNamespaceRequest { Hostname = id });
        return (new CniPod(id, "name-" + id, "default", "uid-" + id, ns.NetNs!) { PortMappings = ports }, ns);
    }

    [Test]
    public void Status_is_not_ready_without_a_config_and_says_why()
    {
        var s = _env.Cni.Status();
        Assert.That(s.Ready, Is.False);
        Assert.That(s.Reason, Does.Contain("no network config"));
    }

    [Test]
    public void Status_is_not_ready_when_a_plugin_binary_is_missing()
    {
        File.WriteAllText(Path.Combine(_env.ConfDir, "05-x.conflist"), """{"cniVersion":"1.0.0","name":"x","plugins":[{"type":"no-such-plugin"}]}""");
        var s = _env.Cni.Status();
        Assert.That(s.Ready, Is.False);
        Assert.That(s.Reason, Does.Contain("no-such-plugin"));
    }

    [Test]
    public void Status_is_ready_with_a_valid_config()
    {
        _env.WriteBridgeConf();
        var s = _env.Cni.Status();
        Assert.That(s.Ready, Is.True, s.Reason);
        Assert.That(s.NetworkName, Is.EqualTo("crishimtest"));
    }

    [Test]
    public async Task Add_gives_the_pod_an_ip_on_the_bridge_reachable_gateway_and_del_releases_it()
    {
        _env.WriteBridgeConf();
        var (pod, ns) = await PodAsync("cnipod1");
        var result = await _env.Cni.SetUpAsync(pod);
        var ip = result.PodIps.Single().ToString();
        Assert.That(ip, Does.StartWith("10.99.77."));

        var addr = NetworkTestEnv.Run("nsenter", "--net=" + ns.NetNs, "ip", "-o", "-4", "addr", "show", "eth0");
        Assert.That(addr.Out, Does.Contain(ip + "/24"));
        var ping = NetworkTestEnv.Run("nsenter", "--net=" + ns.NetNs, "/bin/busybox", "ping", "-c", "1", "-W", "3", NetworkTestEnv.Gateway);
        Assert.That(ping.Code, Is.Zero, ping.Out);
        Assert.That(_env.AllocatedIps(), Does.Contain(ip));
        Assert.That(File.Exists(CacheFile("cnipod1")), Is.True, "the attachment is cached for DEL after a restart");

        await _env.Cni.TearDownAsync("cnipod1");
        Assert.That(_env.AllocatedIps(), Is.Empty, "host-local released the address");
        await _env.Cni.TearDownAsync("cnipod1");
        Assert.That(NetworkTestEnv.Run("nsenter", "--net=" + ns.NetNs, "ip", "link", "show", "eth0").Code, Is.Not.Zero, "eth0 removed");
        await _env.Pins.RemoveAsync("cnipod1");
    }

    [Test]
    public async Task Del_uses_the_cached_config_after_a_restart_and_a_config_change()
    {
        _env.WriteBridgeConf();
        var (pod, _) = await PodAsync("cnipod2");
        await _env.Cni.SetUpAsync(pod);
        File.Delete(Path.Combine(_env.ConfDir, "10-crishimtest.conflist"));

        var restarted = new CniManager(_env.Settings);
        await restarted.TearDownAsync("cnipod2");
        Assert.That(_env.AllocatedIps(), Is.Empty);
        await _env.Pins.RemoveAsync("cnipod2");
    }

    [Test]
    public async Task Del_succeeds_when_the_network_namespace_is_already_gone()
    {
        _env.WriteBridgeConf();
        var (pod, _) = await PodAsync("cnipod3");
        await _env.Cni.SetUpAsync(pod);
        await _env.Pins.RemoveAsync("cnipod3");
        await _env.Cni.TearDownAsync("cnipod3");
        Assert.That(_env.AllocatedIps(), Is.Empty);
        Assert.That(File.Exists(CacheFile("cnipod3")), Is.False);
    }

    [Test]
    public async Task Port_mappings_reach_the_portmap_plugin_and_are_removed_on_del()
    {
        _env.WriteBridgeConf(withPortmap: true);
        var (pod, _) = await PodAsync("cnipod4", new CniPortMapping(38087, 80));
        await _env.Cni.SetUpAsync(pod);
        Assert.That(NetworkTestEnv.Run("iptables-save", "-t", "nat").Out, Does.Contain("38087"));
        await _env.Cni.TearDownAsync("cnipod4");
        Assert.That(NetworkTestEnv.Run("iptables-save", "-t", "nat").Out, Does.Not.Contain("38087"));
        await _env.Pins.RemoveAsync("cnipod4");
        NetworkTestEnv.RemoveIdlePortmapChains();
    }

    [Test]
    public async Task A_failing_add_is_undone_and_reports_the_plugin_error()
    {
        File.WriteAllText(Path.Combine(_env.ConfDir, "10-bad.conflist"), $$$"""
            {"cniVersion":"1.0.0","name":"crishimtest","plugins":[
              {"type":"bridge","bridge":"{{{NetworkTestEnv.Bridge}}}","ipam":{"type":"host-local","ranges":[[{"subnet":"not-a-subnet"}]],"dataDir":"{{{_env.IpamDir}}}"}}]}
            """);
        var (pod, _) = await PodAsync("cnipod5");
        var e = Assert.ThrowsAsync<CniException>(() => _env.Cni.SetUpAsync(pod));
        Assert.That(e!.Plugin, Is.EqualTo("bridge"));
        Assert.That(e.Message, Does.Contain("subnet").IgnoreCase);
        // The undo's DEL may fail on the same bad config: then the cache stays for a later DEL, but holds no result.
        Assert.That(CachedResult("cnipod5"), Is.Null);
        await _env.Pins.RemoveAsync("cnipod5");
    }

    [Test]
    public async Task Twenty_pin_add_del_cycles_leave_nothing_behind()
    {
        _env.WriteBridgeConf();
        for (var i = 0; i < 20; i++)
        {
            var (pod, _) = await PodAsync("cycle" + i);
            var r = await _env.Cni.SetUpAsync(pod);
            Assert.That(r.PodIps, Has.Count.EqualTo(1));
            await _env.Cni.TearDownAsync(pod.PodId);
            await _env.Pins.RemoveAsync(pod.PodId);
        }
        Assert.That(File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(_env.Dir.Path)), Is.Empty, "no namespace mounts left");
        Assert.That(_env.AllocatedIps(), Is.Empty);
        Assert.That(Directory.GetFiles(_env.Settings.CacheDir), Is.Empty);
        var veths = NetworkTestEnv.Run("ip", "-o", "link", "show", "master", NetworkTestEnv.Bridge).Out.Trim();
        Assert.That(veths, Is.Empty, "no veth left on the bridge");
    }
}
