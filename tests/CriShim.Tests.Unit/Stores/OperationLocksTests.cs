using CriShim.Stores;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Unit.Stores;

/// <summary>The stores' operation locks: a container call holds its pod shared, so pod calls wait for it and other
/// containers of the pod do not.</summary>
public sealed class OperationLocksTests
{
    string _dir = null!;
    PodStore _pods = null!;
    ContainerStore _containers = null!;

    [SetUp]
    public void Create()
    {
        _dir = Directory.CreateTempSubdirectory("crishim-locks-").FullName;
        _pods = new PodStore(Path.Combine(_dir, "pods"), NullLogger<PodStore>.Instance);
        _containers = new ContainerStore(Path.Combine(_dir, "containers"), _pods, NullLogger<ContainerStore>.Instance);
    }

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task APodCall_WaitsForAContainerCallOfThatPod()
    {
        var create = await _containers.LockAsync("pod", "c1", CancellationToken.None);
        var remove = _pods.LockAsync("pod", CancellationToken.None);
        await Task.Delay(100);
        Assert.That(remove.IsCompleted, Is.False);
        create.Dispose();
        (await remove.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.That((_pods.Locks.ActiveKeys, _containers.Locks.ActiveKeys), Is.EqualTo((0, 0)));
    }

    [Test]
    public async Task AContainerCall_WaitsForAPodCallOfItsPod()
    {
        var stop = await _pods.LockAsync("pod", CancellationToken.None);
        var start = _containers.LockAsync("pod", "c1", CancellationToken.None);
        await Task.Delay(100);
        Assert.That(start.IsCompleted, Is.False);
        stop.Dispose();
        (await start.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Test]
    public async Task CallsOnTwoContainersOfOnePod_RunTogether()
    {
        using var one = await _containers.LockAsync("pod", "c1", CancellationToken.None);
        var two = _containers.LockAsync("pod", "c2", CancellationToken.None);
        (await two.WaitAsync(TimeSpan.FromSeconds(1))).Dispose();
    }

    [Test]
    public async Task TwoCallsOnOneContainer_RunOneAfterTheOther()
    {
        var record = new ContainerRecord
        {
            Id = "c1", PodId = "pod", Name = "c", Config = [], ImageRef = "busybox", ImageId = "sha256:1", BundleDir = "/b", RootfsDir = "/r",
        };
        var first = await _containers.LockAsync(record, CancellationToken.None);
        var second = _containers.LockAsync(record, CancellationToken.None);
        await Task.Delay(100);
        Assert.That(second.IsCompleted, Is.False);
        first.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Test]
    public async Task AContainerCallCancelledWhileWaiting_ReleasesItsPodLock()
    {
        var start = await _containers.LockAsync("pod", "c1", CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var second = _containers.LockAsync("pod", "c1", cts.Token);
        cts.Cancel();
        Assert.That(async () => await second, Throws.InstanceOf<OperationCanceledException>());
        start.Dispose();
        (await _pods.LockAsync("pod", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(1))).Dispose();
        Assert.That((_pods.Locks.ActiveKeys, _containers.Locks.ActiveKeys), Is.EqualTo((0, 0)));
    }
}
