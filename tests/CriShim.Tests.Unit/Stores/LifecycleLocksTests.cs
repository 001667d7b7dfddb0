using CriShim.Stores;

namespace CriShim.Tests.Unit.Stores;

/// <summary>A container call holds its pod shared: pod calls wait for it, other containers of the pod do not.</summary>
public sealed class LifecycleLocksTests
{
    [Test]
    public async Task APodCall_WaitsForAContainerCallOfThatPod()
    {
        var locks = new LifecycleLocks();
        var create = await locks.ContainerAsync("pod", "c1", CancellationToken.None);
        var remove = locks.PodAsync("pod", CancellationToken.None);
        await Task.Delay(100);
        Assert.That(remove.IsCompleted, Is.False);
        create.Dispose();
        (await remove.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.That((locks.Pods.ActiveKeys, locks.Containers.ActiveKeys), Is.EqualTo((0, 0)));
    }

    [Test]
    public async Task CallsOnTwoContainersOfOnePod_RunTogether()
    {
        var locks = new LifecycleLocks();
        using var one = await locks.ContainerAsync("pod", "c1", CancellationToken.None);
        var two = locks.ContainerAsync("pod", "c2", CancellationToken.None);
        (await two.WaitAsync(TimeSpan.FromSeconds(1))).Dispose();
    }

    [Test]
    public async Task AContainerCallCancelledWhileWaiting_ReleasesItsPodLock()
    {
        var locks = new LifecycleLocks();
        var start = await locks.ContainerAsync("pod", "c1", CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var second = locks.ContainerAsync("pod", "c1", cts.Token);
        cts.Cancel();
        Assert.That(async () => await second, Throws.InstanceOf<OperationCanceledException>());
        start.Dispose();
        (await locks.PodAsync("pod", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(1))).Dispose();
        Assert.That((locks.Pods.ActiveKeys, locks.Containers.ActiveKeys), Is.EqualTo((0, 0)));
    }
}
