using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Lifecycle;

/// <summary>Stats, events, log reopen and live resource updates against real containers.</summary>
[TestFixture]
public class ObservabilityTests : LifecycleFixture
{
    [Test]
    public async Task ContainerStats_MoveWhenTheContainerBurnsCpuAndAllocatesMemory()
    {
        var (pod, config) = await RunPodAsync(Unique("stats"));
        var c = await StartAsync(pod, config, ContainerConfig("burn", "sh", "-c", "sleep 1000"));
        var before = (await Runtime.ContainerStatsAsync(new ContainerStatsRequest { ContainerId = c })).Stats;
        await ExecAsync(c, 20, "sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done");
        // A shell holding 40 MB in a variable keeps it resident while we sample.
        await ExecAsync(c, 20, "sh", "-c", "head -c 40000000 /dev/zero | tr '\\0' x > /dev/shm/blob");
        var after = (await Runtime.ContainerStatsAsync(new ContainerStatsRequest { ContainerId = c })).Stats;
        Assert.That(after.Cpu.UsageCoreNanoSeconds.Value, Is.GreaterThan(before.Cpu.UsageCoreNanoSeconds.Value));
        Assert.That(after.Cpu.UsageNanoCores?.Value ?? 0, Is.GreaterThan(0UL), "nano cores between two samples");
        Assert.That(after.Memory.UsageBytes.Value, Is.GreaterThan(before.Memory.UsageBytes.Value + 30_000_000UL), "shm pages are charged to the container");
        Assert.That(after.WritableLayer.FsId.Mountpoint, Is.Not.Empty);

        var list = await Runtime.ListContainerStatsAsync(new ListContainerStatsRequest { Filter = new ContainerStatsFilter { PodSandboxId = pod } });
        Assert.That(list.Stats.Select(s => s.Attributes.Id), Is.EqualTo(new[] { c }));
        var podStats = (await Runtime.PodSandboxStatsAsync(new PodSandboxStatsRequest { PodSandboxId = pod })).Stats;
        Assert.That(podStats.Linux.Network.DefaultInterface.Name, Is.EqualTo("eth0"));
        Assert.That(podStats.Linux.Containers.Select(s => s.Attributes.Id), Does.Contain(c));
        var podList = await Runtime.ListPodSandboxStatsAsync(new ListPodSandboxStatsRequest { Filter = new PodSandboxStatsFilter { Id = pod } });
        Assert.That(podList.Stats.Select(s => s.Attributes.Id), Is.EqualTo(new[] { pod }));
        Assert.That(podList.Stats[0].Linux.Containers.Select(s => s.Attributes.Id), Does.Contain(c), "the list answers from the housekeeping samples");
    }

    [Test]
    public async Task Events_ArriveInOrderForAFullLifecycle()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var stream = Runtime.GetContainerEvents(new GetEventsRequest(), cancellationToken: cts.Token);
        await Task.Delay(200); // the subscription is registered when the call reaches the daemon
        var (pod, config) = await RunPodAsync(Unique("events"));
        var c = await StartAsync(pod, config, ContainerConfig("ev", "sh", "-c", "exit 0"));
        await WaitExitedAsync(c);
        await Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = c });

        var seen = new List<ContainerEventType>();
        while (seen.Count < 4 && await stream.ResponseStream.MoveNext(cts.Token))
        {
            var e = stream.ResponseStream.Current;
            if (e.ContainerId != c) continue;
            seen.Add(e.ContainerEventType);
            Assert.That(e.PodSandboxStatus.Id, Is.EqualTo(pod));
        }
        Assert.That(seen, Is.EqualTo(new[]
        {
            ContainerEventType.ContainerCreatedEvent, ContainerEventType.ContainerStartedEvent,
            ContainerEventType.ContainerStoppedEvent, ContainerEventType.ContainerDeletedEvent,
        }));
    }

    [Test]
    public async Task LogRotationWithReopen_LosesNoLine()
    {
        var (pod, config) = await RunPodAsync(Unique("rotate"));
        var c = await StartAsync(pod, config, ContainerConfig("counter", "sh", "-c", "i=0; while [ $i -lt 400 ]; do echo line$i; i=$((i+1)); sleep 0.01; done; sleep 1000"));
        var logPath = (await StatusAsync(c)).LogPath;
        await Task.Delay(1000);
        File.Move(logPath, logPath + ".1");
        await Runtime.ReopenContainerLogAsync(new ReopenContainerLogRequest { ContainerId = c });
        Assert.That(File.Exists(logPath), Is.True, "a new log file exists once ReopenContainerLog returns");
        // The counter needs 4 s and more on a loaded machine: wait for its last line rather than a fixed time.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await File.ReadAllTextAsync(logPath)).Contains("line399") && DateTime.UtcNow < deadline) await Task.Delay(200);
        var lines = (await File.ReadAllLinesAsync(logPath + ".1")).Concat(await File.ReadAllLinesAsync(logPath))
            .Select(l => l.Split(' ', 4)[3]).ToList();
        Assert.That(lines, Is.EqualTo(Enumerable.Range(0, 400).Select(i => $"line{i}")));
    }

    [Test]
    public async Task LiveMemoryLimitUpdate_IsEnforcedAndReported()
    {
        var (pod, config) = await RunPodAsync(Unique("update"));
        var c = await StartAsync(pod, config, ContainerConfig("mem", "sleep", "1000"));
        await Runtime.UpdateContainerResourcesAsync(new UpdateContainerResourcesRequest
        {
            ContainerId = c, Linux = new LinuxContainerResources { MemoryLimitInBytes = 32 * 1024 * 1024 },
        });
        Assert.That((await StatusAsync(c)).Resources.Linux.MemoryLimitInBytes, Is.EqualTo(32 * 1024 * 1024));
        var limit = await ExecTextAsync(c, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes");
        Assert.That(long.Parse(limit.Trim()), Is.EqualTo(32 * 1024 * 1024));
        // Filling /dev/shm beyond the limit gets the writer OOM-killed.
        var fill = await ExecAsync(c, 30, "sh", "-c", "head -c 100000000 /dev/zero > /dev/shm/fill; echo done");
        Assert.That(fill.Stdout.ToStringUtf8(), Does.Not.Contain("done"));
    }

    [Test]
    public async Task UnknownContainer_StatsAndUpdates_AreNotFound()
    {
        Assert.That(await CodeOf(() => Runtime.ContainerStatsAsync(new ContainerStatsRequest { ContainerId = "deadbeef" }).ResponseAsync), Is.EqualTo(StatusCode.NotFound));
        Assert.That(await CodeOf(() => Runtime.ReopenContainerLogAsync(new ReopenContainerLogRequest { ContainerId = "deadbeef" }).ResponseAsync), Is.EqualTo(StatusCode.NotFound));
        Assert.That(await CodeOf(() => Runtime.UpdateContainerResourcesAsync(new UpdateContainerResourcesRequest { ContainerId = "deadbeef", Linux = new() }).ResponseAsync), Is.EqualTo(StatusCode.NotFound));
    }
}
