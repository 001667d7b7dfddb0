using System.Net.Http;
using CriShim.Oci.Runc;
using CriShim.Tests.Integration.Lifecycle;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Handlers;

/// <summary>The same pod spec on runc, crun and gVisor's runsc (RuntimeClass handlers), through a real daemon.</summary>
[TestFixture]
public class RuntimeHandlerTests : LifecycleFixture
{
    readonly List<string> _pods = [];

    [TearDown]
    public async Task RemovePods()
    {
        foreach (var pod in _pods)
        {
            try { await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod }); }
            catch (RpcException) { }
        }
        _pods.Clear();
    }

    static void RequireBinary(string handler)
    {
        var binary = RuncClient.ResolveBinary(handler);
        if (!File.Exists(binary)) Assert.Ignore($"{handler} is not installed (make deps installs it)");
    }

    async Task<(string Id, PodSandboxConfig Config)> RunPodOnAsync(string handler, string name, Action<PodSandboxConfig>? configure = null)
    {
        var config = PodConfig(name, configure);
        var id = (await Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config, RuntimeHandler = handler })).PodSandboxId;
        _pods.Add(id);
        return (id, config);
    }

    [TestCase("runc")]
    [TestCase("crun")]
    [TestCase("runsc")]
    public async Task TheSamePodSpec_RunsExecsLogsAndStops_OnEachHandler(string handler)
    {
        RequireBinary(handler);
        var (pod, config) = await RunPodOnAsync(handler, Unique(handler));
        var status = (await Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = pod })).Status;
        Assert.That(status.RuntimeHandler, Is.EqualTo(handler));
        Assert.That(status.State, Is.EqualTo(PodSandboxState.SandboxReady));

        var c = await StartAsync(pod, config, ContainerConfig("bb", "sh", "-c", $"echo hello from {handler}; exec sleep 1000"));
        Assert.That((await ExecTextAsync(c, "echo", "exec works")).Trim(), Is.EqualTo("exec works"));
        Assert.That((await ExecAsync(c, 10, "sh", "-c", "exit 7")).ExitCode, Is.EqualTo(7));
        var log = await RetryAsync(async () =>
        {
            var text = await File.ReadAllTextAsync((await StatusAsync(c)).LogPath);
            return text.Contains($"hello from {handler}") ? text : throw new InvalidOperationException("not logged yet: " + text);
        });
        Assert.That(log, Does.Match($"stdout F hello from {handler}"));

        await Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = c, Timeout = 0 });
        var exited = await WaitExitedAsync(c);
        Assert.That(exited.ExitCode, Is.EqualTo(137), "killed by SIGKILL");
        await Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod });
        await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod });
        var left = await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest { Filter = new PodSandboxFilter { Id = pod } });
        Assert.That(left.Items, Is.Empty);
    }

    [TestCase("runc")]
    [TestCase("crun")]
    [TestCase("runsc")]
    public async Task AContainersExitCode_IsReported_OnEachHandler(string handler)
    {
        RequireBinary(handler);
        var (pod, config) = await RunPodOnAsync(handler, Unique(handler));
        var c = await StartAsync(pod, config, ContainerConfig("exit3", "sh", "-c", "echo bye; exit 3"));
        var status = await WaitExitedAsync(c);
        Assert.That(status.ExitCode, Is.EqualTo(3));
        Assert.That(status.Reason, Is.EqualTo("Error"));
    }

    [Test]
    public async Task OnRunsc_UnameShowsGvisorsKernel_NotTheHosts()
    {
        RequireBinary("runsc");
        var (pod, config) = await RunPodOnAsync("runsc", Unique("kernel"));
        var c = await StartAsync(pod, config, ContainerConfig("uname", "sleep", "1000"));
        var inside = (await ExecTextAsync(c, "uname", "-r")).Trim();
        var host = (await File.ReadAllTextAsync("/proc/sys/kernel/osrelease")).Trim();
        Assert.That(inside, Is.Not.Empty.And.Not.EqualTo(host));
        Assert.That(await File.ReadAllTextAsync("/proc/version"), Does.Not.Contain("gVisor"), "sanity: the host is not itself gVisor");
    }

    [Test]
    public async Task OnRunsc_ThePodIpServesFromInsideTheSandbox_ToTheHostAndToARuncPod()
    {
        RequireBinary("runsc");
        var (pod, config) = await RunPodOnAsync("runsc", Unique("net"));
        await StartAsync(pod, config, ContainerConfig("server", "sh", "-c", "mkdir -p /www && echo from-gvisor > /www/index.html && exec httpd -f -p 8080 -h /www"));
        var ip = (await Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = pod })).Status.Network.Ip;
        Assert.That(ip, Does.StartWith("10.97.0."));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.That((await RetryAsync(() => http.GetStringAsync($"http://{ip}:8080/index.html"))).Trim(), Is.EqualTo("from-gvisor"));

        var (other, otherConfig) = await RunPodOnAsync("runc", Unique("client"));
        var client = await StartAsync(other, otherConfig, ContainerConfig("client", "sleep", "1000"));
        Assert.That((await RetryAsync(() => ExecTextAsync(client, "wget", "-qO-", $"http://{ip}:8080/index.html"))).Trim(), Is.EqualTo("from-gvisor"));
    }

    [Test]
    public async Task OnRunsc_ContainersOfOnePod_ShareTheSandbox()
    {
        RequireBinary("runsc");
        var (pod, config) = await RunPodOnAsync("runsc", Unique("share"));
        await StartAsync(pod, config, ContainerConfig("server", "sh", "-c", "mkdir -p /www && echo pong > /www/index.html && exec httpd -f -p 8080 -h /www"));
        var client = await StartAsync(pod, config, ContainerConfig("client", "sleep", "1000"));
        Assert.That((await RetryAsync(() => ExecTextAsync(client, "wget", "-qO-", "http://127.0.0.1:8080/index.html"))).Trim(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task OnRunsc_ContainerStats_CountTheWorkInsideTheSandbox()
    {
        RequireBinary("runsc");
        var (pod, config) = await RunPodOnAsync("runsc", Unique("stats"));
        var c = await StartAsync(pod, config, ContainerConfig("busy", "sh", "-c", "while :; do :; done"));
        var stats = await RetryAsync(async () =>
        {
            var s = (await Runtime.ContainerStatsAsync(new ContainerStatsRequest { ContainerId = c })).Stats;
            return s.Cpu?.UsageCoreNanoSeconds?.Value > 0 ? s : throw new InvalidOperationException("no CPU counted yet");
        });
        Assert.That(stats.Memory.WorkingSetBytes.Value, Is.GreaterThan(0));
        var podStats = (await Runtime.PodSandboxStatsAsync(new PodSandboxStatsRequest { PodSandboxId = pod })).Stats;
        Assert.That(podStats.Linux.Cpu.UsageCoreNanoSeconds.Value, Is.GreaterThan(0), "the sandbox process is in the pod's cgroup");
    }

    [Test]
    public async Task OnRunsc_ACreatedContainerThatNeverStarted_CanBeRemoved()
    {
        RequireBinary("runsc");
        var (pod, config) = await RunPodOnAsync("runsc", Unique("never"));
        var c = await CreateAsync(pod, config, ContainerConfig("never", "sleep", "1000"));
        Assert.That((await StatusAsync(c)).State, Is.EqualTo(ContainerState.ContainerCreated));
        await Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = c });
        Assert.That(await CodeOf(() => StatusAsync(c)), Is.EqualTo(StatusCode.NotFound));
    }

    [Test]
    public async Task AnUnknownHandler_IsRefusedWithTheConfiguredOnes_AndLeavesNothingBehind()
    {
        var nsBefore = Entries(Path.Combine(Daemon.State, "ns"));
        var podsBefore = Entries(Path.Combine(Daemon.State, "pods"));
        var name = Unique("kata");
        var e = Assert.ThrowsAsync<RpcException>(() => RunPodOnAsync("kata", name));
        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("\"kata\"").And.Contain("runc").And.Contain("crun").And.Contain("runsc"));
        var pods = await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest());
        Assert.That(pods.Items.Select(p => p.Metadata.Name), Does.Not.Contain(name));
        Assert.That(Entries(Path.Combine(Daemon.State, "ns")), Is.EquivalentTo(nsBefore));
        Assert.That(Entries(Path.Combine(Daemon.State, "pods")), Is.EquivalentTo(podsBefore));
        // The name was not kept reserved: the same pod runs on the default handler.
        var ok = (await Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = PodConfig(name) })).PodSandboxId;
        _pods.Add(ok);
        Assert.That((await Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = ok })).Status.RuntimeHandler, Is.Empty);
    }

    [Test]
    public async Task Status_ListsTheDefaultAndEveryInstalledHandler()
    {
        var status = await Runtime.StatusAsync(new StatusRequest { Verbose = true });
        var names = status.RuntimeHandlers.Select(h => h.Name).ToList();
        Assert.That(names, Does.Contain("").And.Contain("runc"));
        foreach (var h in new[] { "crun", "runsc" }.Where(h => File.Exists(RuncClient.ResolveBinary(h))))
            Assert.That(names, Does.Contain(h));
        Assert.That(status.Info["runtimeHandlers"], Does.Contain("\"sandboxed\"").And.Contain("\"runsc\""));
        Assert.That(status.Status.Conditions.Where(c => c.Type.StartsWith("RuntimeHandlerReady/") && !c.Status), Is.Empty,
            "every installed handler can run pods here (make deps moves hugetlb off cgroup2 for crun)");
    }

    [TestCase("crun")]
    [TestCase("runsc")]
    public async Task APodKeepsItsHandler_AcrossADaemonRestart(string handler)
    {
        RequireBinary(handler);
        var (pod, config) = await RunPodOnAsync(handler, Unique("restart"));
        var c = await StartAsync(pod, config, ContainerConfig("long", "sleep", "1000"));
        Daemon.Kill();
        await Daemon.RestartAsync();
        Assert.That((await StatusAsync(c)).State, Is.EqualTo(ContainerState.ContainerRunning));
        Assert.That((await ExecTextAsync(c, "echo", "still here")).Trim(), Is.EqualTo("still here"));
        var status = (await Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = pod })).Status;
        Assert.That(status.RuntimeHandler, Is.EqualTo(handler));
        await Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = c, Timeout = 0 });
        Assert.That((await WaitExitedAsync(c)).ExitCode, Is.EqualTo(137));
    }

    static string[] Entries(string dir) => Directory.Exists(dir) ? Directory.GetFileSystemEntries(dir) : [];

    static async Task<T> RetryAsync<T>(Func<Task<T>> action)
    {
        for (var i = 0; ; i++)
        {
            try { return await action(); }
            catch (Exception) when (i < 50) { await Task.Delay(200); }
        }
    }
}
