using System.Text;
using CriShim.Oci.Monitor;
using CriShim.Oci.Network;
using CriShim.Oci.Runc;
using CriShim.Tests.Integration.Support;

namespace CriShim.Tests.Integration.Network;

/// <summary>The whole process and network layer together: pinned namespaces, CNI, a container joining the pod's
/// network namespace under conmon.</summary>
[TestFixture, NonParallelizable]
public sealed class PodNetworkTests
{
    [Test]
    public async Task A_container_in_the_pod_network_namespace_sees_the_cni_address_and_reaches_the_gateway()
    {
        if (!NetworkTestEnv.PluginsAvailable || !TestBundle.BusyboxAvailable) Assert.Ignore("CNI plugins or busybox missing");
        using var env = new NetworkTestEnv();
        env.WriteBridgeConf();
        var runc = new RuncClient("runc", Path.Combine(env.Dir.Path, "runc"));
        var monitor = new ContainerMonitor(new MonitorSettings("conmon", Path.Combine(env.Dir.Path, "mon")), runc);
        const string pod = "netpod";
        var id = "netctr-" + Guid.NewGuid().ToString("N")[..6];
        var ns = await env.Pins.CreateAsync(pod, new PodNamespaceRequest { Hostname = pod });
        try
        {
            var result = await env.Cni.SetUpAsync(new CniPod(pod, pod, "default", "uid", ns.NetNs!));
            var ip = result.PodIps.Single().ToString();
            var bundle = TestBundle.Create(env.Dir.Sub(id), id, ["sleep", "1000"], netnsPath: ns.NetNs);
            await monitor.CreateAsync(new ContainerLaunchSpec(id, id, bundle, Path.Combine(env.Dir.Path, id + ".log")));
            await monitor.StartAsync(id);

            var addr = await monitor.ExecSyncAsync(id, ["ip", "-o", "-4", "addr", "show", "eth0"], TimeSpan.FromSeconds(30));
            Assert.That(Encoding.UTF8.GetString(addr.Stdout), Does.Contain(ip + "/24"));
            var ping = await monitor.ExecSyncAsync(id, ["ping", "-c", "1", "-W", "3", NetworkTestEnv.Gateway], TimeSpan.FromSeconds(30));
            Assert.That(ping.ExitCode, Is.Zero, Encoding.UTF8.GetString(ping.Stdout) + Encoding.UTF8.GetString(ping.Stderr));
        }
        finally
        {
            await monitor.StopAsync(id, TimeSpan.Zero);
            await monitor.DeleteAsync(id);
            await env.Cni.TearDownAsync(pod);
            await env.Pins.RemoveAsync(pod);
            TestBundle.RemoveTestCgroupParents();
        }
        Assert.That(env.AllocatedIps(), Is.Empty);
        Assert.That(File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(env.Dir.Path)), Is.Empty);
    }
}
