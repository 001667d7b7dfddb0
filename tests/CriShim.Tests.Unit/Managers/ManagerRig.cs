using CriShim.Config;
using CriShim.Containers;
using CriShim.Cri;
using CriShim.Events;
using CriShim.Images;
using CriShim.Oci.Cgroups;
using CriShim.Oci.Monitor;
using CriShim.Pods;
using CriShim.RuntimeClasses;
using CriShim.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Runtime.V1;

namespace CriShim.Tests.Unit.Managers;

/// <summary>The pod and container managers over real stores on a temp dir, with the host side (rootfs, conmon, runc,
/// namespaces, CNI) replaced by fakes that record what they were asked.</summary>
internal sealed class ManagerRig : IDisposable
{
    public const string Image = "docker.io/library/busybox:latest";
    public static readonly string ImageId = "sha256:" + new string('a', 64);

    readonly string _dir = Directory.CreateTempSubdirectory("crishim-managers-").FullName;
    readonly global::CriShim.Stats.StatsCollector _stats;

    public PodStore Pods { get; }
    public ContainerStore Containers { get; }
    public ImageStore Images { get; }
    public FakeContainerRuntime ContainerRuntime { get; } = new();
    public FakePodRuntime PodRuntime { get; } = new();
    public ContainerManager ContainerManager { get; }
    public PodSandboxManager PodManager { get; }

    public ManagerRig()
    {
        var options = new CriShimOptions
        {
            Root = Path.Combine(_dir, "root"), State = Path.Combine(_dir, "state"),
            Runtimes = new() { ["runc"] = new() { Path = "/bin/true" } }, DefaultRuntime = "runc",
        };
        var layout = new DaemonLayout(options);
        Pods = new PodStore(Path.Combine(_dir, "pods"), NullLogger<PodStore>.Instance);
        Containers = new ContainerStore(Path.Combine(_dir, "containers"), Pods, NullLogger<ContainerStore>.Instance);
        var paths = new ImagePaths(Path.Combine(_dir, "images"));
        Images = new ImageStore(paths, new ContentStore(paths), new LayerStore(paths, NullLogger<LayerStore>.Instance, options), [], NullLogger<ImageStore>.Instance);
        Images.AddAsync(new ImageRecord
        {
            Id = ImageId, RepoTags = [Image], Config = new ImageConfig(), ManifestDigest = "sha256:" + new string('b', 64),
        }, CancellationToken.None).GetAwaiter().GetResult();
        var handlers = new RuntimeClassRegistry(options, NullLoggerFactory.Instance);
        var stats = _stats = new global::CriShim.Stats.StatsCollector(layout, new CgroupStatsReader(CgroupLayout.FromMounts([new CgroupMount(Path.Combine(_dir, "cgroup"), "/", IsV2: true, [])], [])), new NanoCoresTracker(),
            new FilesystemUsageCache(), new NetworkStatsReader(), Containers, handlers, new ListItemCache());
        var events = new ContainerEventPublisher(new ContainerEventHub(), Pods, Containers);
        ContainerManager = new ContainerManager(layout, Pods, Containers, Images, handlers, ContainerRuntime, events, stats, NullLogger<ContainerManager>.Instance);
        PodManager = new PodSandboxManager(layout, Pods, Containers, ContainerManager, handlers, PodRuntime, stats, NullLogger<PodSandboxManager>.Instance);
    }

    public static PodSandboxConfig PodConfig(string name = "web") => new()
    {
        Metadata = new PodSandboxMetadata { Name = name, Namespace = "default", Uid = "uid-" + name },
    };

    public static ContainerConfig ContainerConfig(string name = "app") => new()
    {
        Metadata = new ContainerMetadata { Name = name },
        Image = new ImageSpec { Image = "busybox" },
    };

    public Task<PodRecord> RunPodAsync(string name = "web") => PodManager.RunAsync(PodConfig(name), "", CancellationToken.None);

    public Task<ContainerRecord> CreateContainerAsync(PodRecord pod, string name = "app") =>
        ContainerManager.CreateAsync(pod, ContainerConfig(name), pod.ParsedConfig, CancellationToken.None);

    public ContainerRecord Stored(ContainerRecord c) => Containers.Get(c.Id) ?? throw new AssertionException($"container {c.Id} has no record");

    public PodRecord Stored(PodRecord p) => Pods.Get(p.Id) ?? throw new AssertionException($"pod {p.Id} has no record");

    public void Dispose()
    {
        _stats.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>Records every call; a test sets what a call answers or throws.</summary>
internal sealed class FakeContainerRuntime : IContainerRuntime
{
    public List<string> Calls { get; } = [];
    public Exception? CreateFails { get; set; }
    public Exception? StartFails { get; set; }
    /// <summary>What ReadExit answers (an exit the monitor saw), per container ID.</summary>
    public Dictionary<string, ContainerExit> Exits { get; } = [];
    /// <summary>The exit StopAsync reports; null: the monitor saw none.</summary>
    public Func<ContainerRecord, ContainerExit?> StopExit { get; set; } = c => new ContainerExit(c.Id, 137, DateTimeOffset.UtcNow);
    public List<(string Id, TimeSpan Grace, int Signal)> Stops { get; } = [];
    public int NextPid { get; set; } = 4242;

    public Task<int> CreateAsync(ContainerRecord record, PodRecord pod, ContainerConfig config, PodSandboxConfig podConfig, ImageRecord image, CancellationToken ct)
    {
        Calls.Add($"create {record.Id}");
        return CreateFails is { } e ? Task.FromException<int>(e) : Task.FromResult(NextPid);
    }

    public Task StartAsync(ContainerRecord c, CancellationToken ct)
    {
        Calls.Add($"start {c.Id}");
        return StartFails is { } e ? Task.FromException(e) : Task.CompletedTask;
    }

    public ContainerExit? ReadExit(ContainerRecord c) => Exits.GetValueOrDefault(c.Id);

    public Task<ContainerExit?> StopAsync(ContainerRecord c, TimeSpan grace, int signal, CancellationToken ct)
    {
        Calls.Add($"stop {c.Id}");
        Stops.Add((c.Id, grace, signal));
        return Task.FromResult(StopExit(c));
    }

    public Task TearDownAsync(ContainerRecord c)
    {
        Calls.Add($"teardown {c.Id}");
        return Task.CompletedTask;
    }

    public Task SweepOrphanAsync(string id, CancellationToken ct)
    {
        Calls.Add($"sweep {id}");
        return Task.CompletedTask;
    }
}

internal sealed class FakePodRuntime : IPodRuntime
{
    public List<string> Calls { get; } = [];
    public Exception? SetUpFails { get; set; }
    /// <summary>Failed teardown steps TearDownAsync reports.</summary>
    public List<string> TearDownFailures { get; } = [];

    public Task<PodRecord> SetUpAsync(PodRecord record, PodSandboxConfig config, RuntimeClass handler, CancellationToken ct)
    {
        Calls.Add($"setup {record.Id}");
        return SetUpFails is { } e ? Task.FromException<PodRecord>(e)
            : Task.FromResult(record with { Ip = "10.88.0.2", NetworkSetUp = true, State = PodState.Ready, Complete = true });
    }

    public Task StopAsync(PodRecord pod, CancellationToken ct)
    {
        Calls.Add($"stop {pod.Id}");
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> TearDownAsync(PodRecord pod, CancellationToken ct)
    {
        Calls.Add($"teardown {pod.Id}");
        return Task.FromResult<IReadOnlyList<string>>([.. TearDownFailures]);
    }

    public Task<IReadOnlyList<string>> SweepOrphanAsync(string podId, CancellationToken ct)
    {
        Calls.Add($"sweep {podId}");
        return Task.FromResult<IReadOnlyList<string>>([]);
    }
}
