using CriShim.Oci.Pod;

namespace CriShim.Tests.Unit.Oci;

public class PodFilesTests
{
    [Test]
    public void Resolv_conf_lists_search_nameservers_and_options()
    {
        var text = PodFiles.RenderResolvConf(new DnsSettings(["10.96.0.10", "8.8.8.8"], ["ns.svc.cluster.local", "svc.cluster.local"], ["ndots:5"]));
        Assert.That(text, Is.EqualTo("search ns.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\nnameserver 8.8.8.8\noptions ndots:5\n"));
    }

    [Test]
    public void Hosts_has_localhost_lines_and_the_pod_ip_with_its_hostname()
    {
        var text = PodFiles.RenderHosts("web-0", ["10.88.0.5"]);
        Assert.That(text, Does.Contain("127.0.0.1\tlocalhost\n").And.Contain("::1\tlocalhost ip6-localhost ip6-loopback\n").And.EndWith("10.88.0.5\tweb-0\n"));
        Assert.That(PodFiles.RenderHosts("web-0", []), Does.Not.Contain("web-0"));
    }

    [Test]
    public async Task Pod_files_are_written_into_the_pod_directory()
    {
        using var dir = new TempDir();
        var paths = await PodFiles.WriteAsync(dir.Combine("pod"), new PodFilesInput
        {
            Hostname = "web-0", PodIps = ["10.88.0.5"], Dns = new DnsSettings(["1.1.1.1"], [], []),
        });
        Assert.That(await File.ReadAllTextAsync(paths.Hostname!), Is.EqualTo("web-0\n"));
        Assert.That(await File.ReadAllTextAsync(paths.Hosts!), Does.Contain("10.88.0.5\tweb-0"));
        Assert.That(await File.ReadAllTextAsync(paths.ResolvConf!), Is.EqualTo("nameserver 1.1.1.1\n"));
        Assert.That(paths.Shm, Is.EqualTo(dir.Combine("pod", "shm")));
    }

    [Test]
    public async Task Empty_dns_and_host_network_copy_the_hosts_files()
    {
        using var dir = new TempDir();
        var hosts = dir.Write("host-hosts", "1.2.3.4 myhost\n");
        var resolv = dir.Write("host-resolv", "nameserver 9.9.9.9\n");
        var hostname = dir.Write("host-name", "node1\n");
        var paths = await PodFiles.WriteAsync(dir.Combine("pod"), new PodFilesInput
        {
            HostNetwork = true, Dns = new DnsSettings([], [], []),
            HostHostsPath = hosts, HostResolvConfPath = resolv, HostHostnamePath = hostname,
        });
        Assert.That(await File.ReadAllTextAsync(paths.Hosts!), Is.EqualTo("1.2.3.4 myhost\n"));
        Assert.That(await File.ReadAllTextAsync(paths.ResolvConf!), Is.EqualTo("nameserver 9.9.9.9\n"));
        Assert.That(await File.ReadAllTextAsync(paths.Hostname!), Is.EqualTo("node1\n"));
    }

    private static ulong Inode(string path)
    {
        Mono.Unix.Native.Syscall.stat(path, out var st);
        return st.st_ino;
    }

    [Test]
    public async Task Rewriting_hosts_keeps_the_same_file_so_bind_mounts_see_it()
    {
        using var dir = new TempDir();
        var paths = await PodFiles.WriteAsync(dir.Combine("pod"), new PodFilesInput { Hostname = "h" });
        var inode = Inode(paths.Hosts!);
        using (File.OpenRead(paths.Hosts!))
        {
            await PodFiles.WriteHostsAsync(paths.Hosts!, new PodFilesInput { Hostname = "h", PodIps = ["10.0.0.9"] });
        }
        Assert.That(await File.ReadAllTextAsync(paths.Hosts!), Does.Contain("10.0.0.9\th"));
        Assert.That(Inode(paths.Hosts!), Is.EqualTo(inode));
    }
}
