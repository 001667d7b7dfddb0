using System.Text.Json.Nodes;
using CriShim.Tests.Integration.Images;
using CriShim.Tests.Integration.Support;
using Google.Protobuf;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Lifecycle;

/// <summary>
/// One real daemon for a fixture, with its own CNI network (bridge crishimlc0, 10.97.0.0/24, portmap) and
/// busybox pulled from the shared test registry; helpers to run pods and containers as kubelet does.
/// </summary>
public abstract class LifecycleFixture
{
    protected const string Busybox = "docker.io/library/busybox:1.35";
    protected DaemonProcess Daemon = null!;
    protected string CniDir = null!;
    protected string LogDir = null!;
    readonly List<string> _pods = [];

    protected RuntimeService.RuntimeServiceClient Runtime => Daemon.Runtime;

    [OneTimeSetUp]
    public async Task StartDaemon()
    {
        CniDir = TestPaths.NewTempDir("cni");
        LogDir = TestPaths.NewTempDir("logs");
        await File.WriteAllTextAsync(Path.Combine(CniDir, "10-lifecycle.conflist"), """
            {
              "cniVersion": "1.0.0", "name": "crishim-lifecycle",
              "plugins": [
                { "type": "bridge", "bridge": "crishimlc0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
                  "ipam": { "type": "host-local", "ranges": [[{ "subnet": "10.97.0.0/24" }]], "dataDir": "DATADIR" } },
                { "type": "portmap", "capabilities": { "portMappings": true } }
              ]
            }
            """.Replace("DATADIR", Path.Combine(CniDir, "ipam")));
        var (_, daemon) = await ImageTestSupport.StartDaemonAsync(config =>
        {
            config["Cni"] = new JsonObject { ["ConfDir"] = CniDir, ["BinDir"] = "/usr/lib/cni" };
            ConfigureDaemon(config);
        });
        Daemon = daemon;
        await Daemon.PullAsync(Busybox);
    }

    /// <summary>A fixture's own daemon settings (the --config JSON), applied before the daemon starts.</summary>
    protected virtual void ConfigureDaemon(JsonObject config) { }

    [OneTimeTearDown]
    public async Task StopDaemon()
    {
        foreach (var pod in _pods)
        {
            try { await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod }); }
            catch (RpcException) { }
        }
        await Daemon.DisposeAsync();
        Directory.Delete(CniDir, true);
        Directory.Delete(LogDir, true);
    }

    protected static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    protected PodSandboxConfig PodConfig(string name, Action<PodSandboxConfig>? configure = null)
    {
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Namespace = "lifecycle", Uid = Guid.NewGuid().ToString(), Attempt = 0 },
            Hostname = name,
            LogDirectory = Path.Combine(LogDir, name),
            Linux = new LinuxPodSandboxConfig
            {
                SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = new NamespaceOption { Pid = NamespaceMode.Container } },
            },
        };
        configure?.Invoke(config);
        return config;
    }

    protected async Task<(string Id, PodSandboxConfig Config)> RunPodAsync(string name, Action<PodSandboxConfig>? configure = null)
    {
        var config = PodConfig(name, configure);
        var id = (await Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config })).PodSandboxId;
        _pods.Add(id);
        return (id, config);
    }

    protected static ContainerConfig ContainerConfig(string name, params string[] command)
    {
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = name },
            Image = new ImageSpec { Image = Busybox },
            LogPath = name + ".log",
            Linux = new LinuxContainerConfig { SecurityContext = new LinuxContainerSecurityContext() },
        };
        config.Command.Add(command);
        return config;
    }

    protected async Task<string> CreateAsync(string podId, PodSandboxConfig podConfig, ContainerConfig config) =>
        (await Runtime.CreateContainerAsync(new CreateContainerRequest { PodSandboxId = podId, Config = config, SandboxConfig = podConfig })).ContainerId;

    protected async Task<string> StartAsync(string podId, PodSandboxConfig podConfig, ContainerConfig config)
    {
        var id = await CreateAsync(podId, podConfig, config);
        await Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id });
        return id;
    }

    protected async Task<ContainerStatus> StatusAsync(string id) =>
        (await Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id })).Status;

    protected async Task<ContainerStatus> WaitExitedAsync(string id, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var status = await StatusAsync(id);
            if (status.State == ContainerState.ContainerExited) return status;
            if (DateTime.UtcNow > deadline) Assert.Fail($"container {id} still {status.State}");
            await Task.Delay(100);
        }
    }

    protected async Task<ExecSyncResponse> ExecAsync(string id, long timeoutSeconds, params string[] cmd)
    {
        var request = new ExecSyncRequest { ContainerId = id, Timeout = timeoutSeconds };
        request.Cmd.Add(cmd);
        return await Runtime.ExecSyncAsync(request);
    }

    protected async Task<string> ExecTextAsync(string id, params string[] cmd)
    {
        var response = await ExecAsync(id, 10, cmd);
        Assert.That(response.ExitCode, Is.EqualTo(0), $"exec {string.Join(' ', cmd)} failed: {response.Stderr.ToStringUtf8()}");
        return response.Stdout.ToStringUtf8();
    }

    protected static async Task<StatusCode> CodeOf(Func<Task> call)
    {
        try { await call(); }
        catch (RpcException e) { return e.StatusCode; }
        return StatusCode.OK;
    }
}
