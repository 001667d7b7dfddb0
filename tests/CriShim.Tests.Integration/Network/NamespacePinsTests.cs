using CriShim.Oci.Network;
using CriShim.Tests.Integration.Support;

namespace CriShim.Tests.Integration.Network;

[TestFixture, NonParallelizable]
public sealed class NamespacePinsTests
{
    private TempDir _dir = null!;
    private NamespacePins _pins = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("crishim-ns-");
        _pins = new NamespacePins(Path.Combine(_dir.Path, "ns"));
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private int MountsUnder() => File.ReadAllLines("/proc/self/mountinfo").Count(l => l.Contains(_dir.Path));

    [Test]
    public async Task Pins_net_ipc_and_uts_with_hostname_loopback_and_sysctls_then_removes_them_completely()
    {
        var ns = await _pins.CreateAsync("pod1", new PodNamespaceRequest
        {
            Hostname = "my-pod",
            Sysctls = new Dictionary<string, string> { ["net.ipv4.ip_unprivileged_port_start"] = "80", ["kernel.shmmni"] = "1234" },
        });
        Assert.That(MountsUnder(), Is.EqualTo(3));
        Assert.That(NetworkTestEnv.Run("nsenter", "--uts=" + ns.UtsNs, "hostname").Out.Trim(), Is.EqualTo("my-pod"));
        Assert.That(NetworkTestEnv.Run("nsenter", "--net=" + ns.NetNs, "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start").Out.Trim(), Is.EqualTo("80"));
        Assert.That(NetworkTestEnv.Run("nsenter", "--ipc=" + ns.IpcNs, "cat", "/proc/sys/kernel/shmmni").Out.Trim(), Is.EqualTo("1234"));
        Assert.That(NetworkTestEnv.Run("ip", "-n", "x", "link").Code, Is.Not.Zero); // sanity: ip -n needs a named netns
        Assert.That(NetworkTestEnv.Run("nsenter", "--net=" + ns.NetNs, "ip", "-o", "link", "show", "lo").Out, Does.Contain("UP"));
        Assert.That(Environment.MachineName, Is.Not.EqualTo("my-pod"), "host hostname untouched");
        Assert.That(_pins.Get("pod1"), Is.EqualTo(ns));

        await _pins.RemoveAsync("pod1");
        await _pins.RemoveAsync("pod1");
        Assert.That(MountsUnder(), Is.Zero);
        Assert.That(Directory.Exists(_pins.PodDir("pod1")), Is.False);
        Assert.That(_pins.Get("pod1"), Is.Null);
    }

    [Test]
    public async Task Only_the_requested_namespaces_are_created()
    {
        var ns = await _pins.CreateAsync("hostnet", new PodNamespaceRequest { Network = false, Hostname = "h" });
        Assert.That(ns.NetNs, Is.Null);
        Assert.That(File.Exists(ns.IpcNs), Is.True, "the ipc namespace is pinned to a file");
        Assert.That(MountsUnder(), Is.EqualTo(2));
        await _pins.RemoveAsync("hostnet");
        Assert.That(MountsUnder(), Is.Zero);
    }

    [Test]
    public void A_sysctl_outside_the_pod_namespaces_is_rejected_and_nothing_is_left()
    {
        Assert.ThrowsAsync<ArgumentException>(() => _pins.CreateAsync("bad", new PodNamespaceRequest
        {
            Sysctls = new Dictionary<string, string> { ["vm.swappiness"] = "1" },
        }));
        Assert.That(MountsUnder(), Is.Zero);
        Assert.That(Directory.Exists(_pins.PodDir("bad")), Is.False);
    }

    [Test]
    public async Task Removing_pins_of_an_unknown_pod_succeeds()
    {
        await _pins.RemoveAsync("never-created");
        Assert.That(Directory.Exists(_pins.PodDir("never-created")), Is.False);
    }
}
