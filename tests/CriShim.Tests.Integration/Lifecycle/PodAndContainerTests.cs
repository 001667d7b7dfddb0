using System.Net.Http;
using System.Text.RegularExpressions;
using CriShim.Tests.Integration.Images;
using CriShim.Tests.Integration.Support;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Lifecycle;

[TestFixture]
public class PodAndContainerTests : LifecycleFixture
{
    const string HttpServer = "mkdir -p /www && echo pong > /www/index.html && exec httpd -f -p 8080 -h /www";

    [Test]
    public async Task TwoContainersInOnePod_TalkOverLocalhost()
    {
        var (pod, config) = await RunPodAsync(Unique("talk"));
        await StartAsync(pod, config, ContainerConfig("server", "sh", "-c", HttpServer));
        var client = await StartAsync(pod, config, ContainerConfig("client", "sleep", "1000"));
        var body = await RetryAsync(() => ExecTextAsync(client, "wget", "-qO-", "http://127.0.0.1:8080/index.html"));
        Assert.That(body.Trim(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task PodIp_IsOnTheCniNetwork_AndReachableFromTheHost()
    {
        var (pod, config) = await RunPodAsync(Unique("ip"));
        await StartAsync(pod, config, ContainerConfig("server", "sh", "-c", HttpServer));
        var status = (await Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = pod })).Status;
        Assert.That(status.Network.Ip, Does.StartWith("10.97.0."));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var body = await RetryAsync(() => http.GetStringAsync($"http://{status.Network.Ip}:8080/index.html"));
        Assert.That(body.Trim(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task PortMapping_ForwardsAHostPortIntoThePod()
    {
        var hostPort = TestPaths.FreeTcpPort();
        var (pod, config) = await RunPodAsync(Unique("port"), c => c.PortMappings.Add(new PortMapping
        {
            Protocol = Protocol.Tcp, ContainerPort = 8080, HostPort = hostPort,
        }));
        await StartAsync(pod, config, ContainerConfig("server", "sh", "-c", HttpServer));
        var status = (await Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = pod })).Status;
        // From a second pod, through the host port on the bridge gateway (portmap DNATs it to the first pod).
        var (other, otherConfig) = await RunPodAsync(Unique("portc"));
        var client = await StartAsync(other, otherConfig, ContainerConfig("client", "sleep", "1000"));
        var gateway = string.Join('.', status.Network.Ip.Split('.')[..3]) + ".1";
        var body = await RetryAsync(() => ExecTextAsync(client, "wget", "-qO-", $"http://{gateway}:{hostPort}/index.html"));
        Assert.That(body.Trim(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task DnsConfig_AndHostname_AreVisibleInTheContainer()
    {
        var name = Unique("dns");
        var (pod, config) = await RunPodAsync(name, c => c.DnsConfig = new DNSConfig
        {
            Servers = { "10.96.0.10" }, Searches = { "lifecycle.svc.cluster.local" }, Options = { "ndots:5" },
        });
        var c = await StartAsync(pod, config, ContainerConfig("dns", "sleep", "1000"));
        var resolv = await ExecTextAsync(c, "cat", "/etc/resolv.conf");
        Assert.That(resolv, Does.Contain("nameserver 10.96.0.10").And.Contain("search lifecycle.svc.cluster.local").And.Contain("options ndots:5"));
        Assert.That((await ExecTextAsync(c, "hostname")).Trim(), Is.EqualTo(name));
    }

    [Test]
    public async Task UserFromImage_AndRunAsUser_AreApplied()
    {
        var registry = await TestRegistry.GetSharedAsync();
        var nonroot = $"{registry.Host}/crishim-test/nonroot:latest";
        await Daemon.PullAsync(nonroot);
        var (pod, config) = await RunPodAsync(Unique("user"));
        var fromImage = ContainerConfig("img", "sleep", "1000");
        fromImage.Image.Image = nonroot;
        var c1 = await StartAsync(pod, config, fromImage);
        Assert.That((await ExecTextAsync(c1, "id", "-u")).Trim(), Is.EqualTo("33"));

        var runAs = ContainerConfig("runas", "sleep", "1000");
        runAs.Linux.SecurityContext.RunAsUser = new Int64Value { Value = 1234 };
        runAs.Linux.SecurityContext.RunAsGroup = new Int64Value { Value = 5678 };
        runAs.Linux.SecurityContext.SupplementalGroups.Add(4242);
        var c2 = await StartAsync(pod, config, runAs);
        Assert.That((await ExecTextAsync(c2, "id", "-u")).Trim(), Is.EqualTo("1234"));
        Assert.That((await ExecTextAsync(c2, "id", "-g")).Trim(), Is.EqualTo("5678"));
        Assert.That((await ExecTextAsync(c2, "id", "-G")).Split(' ', StringSplitOptions.TrimEntries), Does.Contain("4242"));
    }

    [Test]
    public async Task ReadOnlyRootfs_RefusesWrites_ButPodFilesAndTmpfsWork()
    {
        var (pod, config) = await RunPodAsync(Unique("ro"));
        var ro = ContainerConfig("ro", "sleep", "1000");
        ro.Linux.SecurityContext.ReadonlyRootfs = true;
        var c = await StartAsync(pod, config, ro);
        var write = await ExecAsync(c, 10, "touch", "/newfile");
        Assert.That(write.ExitCode, Is.Not.EqualTo(0));
        Assert.That(write.Stderr.ToStringUtf8(), Does.Contain("Read-only file system"));
        Assert.That((await ExecAsync(c, 10, "touch", "/dev/shm/ok")).ExitCode, Is.EqualTo(0));
    }

    [Test]
    public async Task DroppedCapability_IsNotInTheEffectiveSet()
    {
        var (pod, config) = await RunPodAsync(Unique("cap"));
        var dropped = ContainerConfig("drop", "sleep", "1000");
        dropped.Linux.SecurityContext.Capabilities = new Capability { DropCapabilities = { "NET_RAW", "CHOWN" } };
        var c = await StartAsync(pod, config, dropped);
        var status = await ExecTextAsync(c, "cat", "/proc/self/status");
        var capEff = Convert.ToUInt64(Regex.Match(status, @"CapEff:\s*([0-9a-f]+)").Groups[1].Value, 16);
        Assert.That(capEff & (1UL << 13), Is.EqualTo(0UL), "CAP_NET_RAW (13) is still effective");
        Assert.That(capEff & 1UL, Is.EqualTo(0UL), "CAP_CHOWN (0) is still effective");
        Assert.That(capEff & (1UL << 5), Is.Not.EqualTo(0UL), "CAP_KILL (5), a default, is missing");
        Assert.That((await ExecAsync(c, 10, "chown", "1:1", "/tmp")).ExitCode, Is.Not.EqualTo(0));
    }

    [Test]
    public async Task ExitCodes_AndReasons_AreReported()
    {
        var (pod, config) = await RunPodAsync(Unique("exit"));
        var failing = await StartAsync(pod, config, ContainerConfig("fail", "sh", "-c", "exit 3"));
        var ok = await StartAsync(pod, config, ContainerConfig("ok", "true"));
        var failed = await WaitExitedAsync(failing);
        Assert.That((failed.ExitCode, failed.Reason), Is.EqualTo((3, "Error")));
        Assert.That(failed.FinishedAt, Is.GreaterThanOrEqualTo(failed.StartedAt));
        var completed = await WaitExitedAsync(ok);
        Assert.That((completed.ExitCode, completed.Reason), Is.EqualTo((0, "Completed")));
    }

    [Test]
    public async Task StopContainer_SendsTermThenKillsAfterTheGracePeriod()
    {
        var (pod, config) = await RunPodAsync(Unique("stop"));
        var polite = await StartAsync(pod, config, ContainerConfig("polite", "sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.1; done"));
        var stubborn = await StartAsync(pod, config, ContainerConfig("stubborn", "sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"));
        await Task.Delay(300);
        await Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = polite, Timeout = 10 });
        await Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = stubborn, Timeout = 1 });
        Assert.That((await StatusAsync(polite)).ExitCode, Is.EqualTo(42), "the TERM trap ran");
        Assert.That((await StatusAsync(stubborn)).ExitCode, Is.EqualTo(137), "killed by SIGKILL after the grace period");
        // Idempotent.
        await Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = polite, Timeout = 1 });
    }

    [Test]
    public async Task Logs_AreWrittenInTheCriFormat()
    {
        var name = Unique("log");
        var (pod, config) = await RunPodAsync(name);
        var c = await StartAsync(pod, config, ContainerConfig("logger", "sh", "-c", "echo hello out; echo hello err >&2; printf partial"));
        var status = await WaitExitedAsync(c);
        Assert.That(status.LogPath, Is.EqualTo(Path.Combine(LogDir, name, "logger.log")));
        var lines = await File.ReadAllLinesAsync(status.LogPath);
        var format = new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) (stdout|stderr) (F|P) ");
        Assert.That(lines, Has.All.Match(format.ToString()));
        Assert.That(lines, Has.Some.Match(" stdout F hello out$"));
        Assert.That(lines, Has.Some.Match(" stderr F hello err$"));
        Assert.That(lines, Has.Some.Match(" stdout P partial$"));
    }

    [Test]
    public async Task ExecSync_TimesOut_KillsTheProcess_AndReturnsDespiteBackgroundChildren()
    {
        var (pod, config) = await RunPodAsync(Unique("exec"));
        var c = await StartAsync(pod, config, ContainerConfig("exec", "sleep", "1000"));
        var code = await CodeOf(() => ExecAsync(c, 1, "sleep", "4321"));
        Assert.That(code, Is.EqualTo(StatusCode.DeadlineExceeded));
        var ps = await RetryAsync(async () =>
        {
            var text = await ExecTextAsync(c, "ps");
            return text.Contains("sleep 4321") ? throw new InvalidOperationException("still running") : text;
        });
        Assert.That(ps, Does.Not.Contain("sleep 4321"));
        var background = await ExecAsync(c, 10, "sh", "-c", "sleep 100 & echo started; exit 5");
        Assert.That((background.ExitCode, background.Stdout.ToStringUtf8().Trim()), Is.EqualTo((5, "started")));
    }

    [Test]
    public async Task DuplicateNames_AreRefusedWithAlreadyExists()
    {
        var (pod, config) = await RunPodAsync(Unique("dup"));
        var again = await CodeOf(() => Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config }).ResponseAsync);
        Assert.That(again, Is.EqualTo(StatusCode.AlreadyExists));
        await CreateAsync(pod, config, ContainerConfig("same", "sleep", "10"));
        var twice = await CodeOf(() => CreateAsync(pod, config, ContainerConfig("same", "sleep", "10")));
        Assert.That(twice, Is.EqualTo(StatusCode.AlreadyExists));
        var pods = await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest());
        Assert.That(pods.Items.Count(p => p.Metadata.Name == config.Metadata.Name), Is.EqualTo(1));
    }

    [Test]
    public async Task BadInput_GetsClearStatuses_AndLeavesNothingBehind()
    {
        var before = (await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items.Count;
        Assert.That(await CodeOf(() => Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = new PodSandboxConfig() }).ResponseAsync),
            Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(await CodeOf(() => Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = PodConfig(Unique("h")), RuntimeHandler = "nope" }).ResponseAsync),
            Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That((await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items.Count, Is.EqualTo(before));

        var (pod, config) = await RunPodAsync(Unique("bad"));
        var traversal = ContainerConfig("trav", "true");
        traversal.LogPath = "../../etc/evil.log";
        Assert.That(await CodeOf(() => CreateAsync(pod, config, traversal)), Is.EqualTo(StatusCode.InvalidArgument));
        var relativeMount = ContainerConfig("mnt", "true");
        relativeMount.Mounts.Add(new Mount { ContainerPath = "/data", HostPath = "relative/path" });
        Assert.That(await CodeOf(() => CreateAsync(pod, config, relativeMount)), Is.EqualTo(StatusCode.InvalidArgument));
        var noImage = ContainerConfig("img", "true");
        noImage.Image.Image = "docker.io/library/never-pulled:1";
        Assert.That(await CodeOf(() => CreateAsync(pod, config, noImage)), Is.EqualTo(StatusCode.NotFound));
        Assert.That(await CodeOf(() => Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = "0123456789abcdef" }).ResponseAsync),
            Is.EqualTo(StatusCode.NotFound));
        Assert.That(await CodeOf(() => Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = "nope" }).ResponseAsync),
            Is.EqualTo(StatusCode.NotFound));
        var containers = await Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = pod } });
        Assert.That(containers.Containers, Is.Empty, "failed creates left containers behind");
        Assert.That(Directory.GetDirectories(Path.Combine(Daemon.State, "containers")).Length, Is.EqualTo(CountContainerDirsExpected()));
    }

    int CountContainerDirsExpected() =>
        Runtime.ListContainers(new ListContainersRequest()).Containers.Count;

    [Test]
    public async Task ManyCreateRemoveCycles_LeaveNoMountsNamespacesCgroupsOrIps()
    {
        var removed = new List<(string Pod, string Container)>();
        for (var i = 0; i < 50; i++)
        {
            var (pod, config) = await RunPodAsync(Unique("cyc"));
            var c = await StartAsync(pod, config, ContainerConfig("c", "sleep", "100"));
            await Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod });
            await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod });
            Assert.That(await CodeOf(() => Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = c }).ResponseAsync), Is.EqualTo(StatusCode.NotFound));
            removed.Add((pod, c));
        }
        var mounts = await File.ReadAllTextAsync("/proc/self/mountinfo");
        var netns = Directory.Exists("/var/run/netns") ? string.Join(' ', Directory.GetFiles("/var/run/netns")) : "";
        var ipam = Path.Combine(CniDir, "ipam", "crishim-lifecycle");
        var reservedBy = Directory.GetFiles(ipam).Where(f => Path.GetFileName(f).StartsWith("10.97.")).Select(File.ReadAllText).ToList();
        foreach (var (pod, c) in removed)
        {
            Assert.That(mounts, Does.Not.Contain(pod).And.Not.Contain(c), "a mount of a removed pod or container");
            Assert.That(Directory.Exists(Path.Combine(Daemon.State, "ns", pod)), Is.False, "namespace pins of a removed pod");
            Assert.That(Directory.Exists(Path.Combine(Daemon.State, "containers", c)), Is.False, "bundle of a removed container");
            Assert.That(Directory.Exists(Path.Combine(Daemon.Root, "rw", c)), Is.False, "writable layer of a removed container");
            Assert.That(reservedBy.Any(owner => owner.Contains(pod)), Is.False, "an IP still reserved for a removed pod");
            foreach (var controller in new[] { "memory", "cpu", "pids" })
                Assert.That(Directory.Exists($"/sys/fs/cgroup/{controller}/crishim/{c}"), Is.False, $"{controller} cgroup of a removed container");
        }
    }

    static async Task<T> RetryAsync<T>(Func<Task<T>> attempt)
    {
        for (var i = 0; ; i++)
        {
            try { return await attempt(); }
            catch (Exception) when (i < 50) { await Task.Delay(200); }
        }
    }
}
