using CriShim.Stores;

namespace CriShim.Tests.Unit.Stores;

/// <summary>Per-key async locks: one holder per key, shared holders together, no entry left once unused.</summary>
public sealed class KeyedLockTests
{
    static readonly TimeSpan Soon = TimeSpan.FromMilliseconds(100);

    [Test]
    public async Task ASecondLockOfTheSameKey_WaitsUntilTheFirstIsReleased()
    {
        var locks = new KeyedLock();
        var first = await locks.LockAsync("a");
        var second = locks.LockAsync("a");
        await Task.Delay(Soon);
        Assert.That(second.IsCompleted, Is.False);
        first.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.That(locks.ActiveKeys, Is.Zero);
    }

    [Test]
    public async Task LocksOfDifferentKeys_DoNotWaitForEachOther()
    {
        var locks = new KeyedLock();
        using var a = await locks.LockAsync("a");
        var b = locks.LockAsync("b");
        Assert.That(b.IsCompletedSuccessfully, Is.True);
        b.Result.Dispose();
    }

    [Test]
    public async Task SharedHolders_HoldTogether_AndAnExclusiveOneWaitsForAllOfThem()
    {
        var locks = new KeyedLock();
        var r1 = await locks.LockSharedAsync("pod");
        var r2 = await locks.LockSharedAsync("pod").WaitAsync(TimeSpan.FromSeconds(1));
        var writer = locks.LockAsync("pod");
        r1.Dispose();
        await Task.Delay(Soon);
        Assert.That(writer.IsCompleted, Is.False, "one shared holder is left");
        r2.Dispose();
        (await writer.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Test]
    public async Task AWaitingExclusiveHolder_HoldsBackLaterSharedOnes()
    {
        var locks = new KeyedLock();
        var reader = await locks.LockSharedAsync("pod");
        var writer = locks.LockAsync("pod");
        var lateReader = locks.LockSharedAsync("pod");
        await Task.Delay(Soon);
        Assert.That(lateReader.IsCompleted, Is.False, "a remove must not be starved by a stream of creates");
        reader.Dispose();
        var w = await writer.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(lateReader.IsCompleted, Is.False);
        w.Dispose();
        (await lateReader.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.That(locks.ActiveKeys, Is.Zero);
    }

    [Test]
    public async Task ACancelledWait_Throws_AndLeavesTheLockUsable()
    {
        var locks = new KeyedLock();
        var held = await locks.LockAsync("a");
        using var cts = new CancellationTokenSource();
        var waiting = locks.LockAsync("a", cts.Token);
        cts.Cancel();
        Assert.That(async () => await waiting, Throws.InstanceOf<OperationCanceledException>());
        held.Dispose();
        Assert.That(locks.ActiveKeys, Is.Zero, "the cancelled waiter left no entry behind");
        (await locks.LockAsync("a").WaitAsync(TimeSpan.FromSeconds(1))).Dispose();
    }

    [Test]
    public async Task ACancelledExclusiveWaiter_LetsTheSharedOnesBehindItIn()
    {
        var locks = new KeyedLock();
        var reader = await locks.LockSharedAsync("pod");
        using var cts = new CancellationTokenSource();
        var writer = locks.LockAsync("pod", cts.Token);
        var lateReader = locks.LockSharedAsync("pod");
        cts.Cancel();
        Assert.That(async () => await writer, Throws.InstanceOf<OperationCanceledException>());
        (await lateReader.WaitAsync(TimeSpan.FromSeconds(1))).Dispose();
        reader.Dispose();
        Assert.That(locks.ActiveKeys, Is.Zero);
    }

    [Test]
    public async Task ManyConcurrentHolders_NeverOverlap_AndNoEntryIsLeft()
    {
        var locks = new KeyedLock();
        var inside = 0;
        var overlaps = 0;
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            using var held = await locks.LockAsync($"k{i % 4}");
            if (Interlocked.Increment(ref inside) > 4) Interlocked.Increment(ref overlaps);
            await Task.Yield();
            Interlocked.Decrement(ref inside);
        })));
        Assert.That(overlaps, Is.Zero);
        Assert.That(locks.ActiveKeys, Is.Zero, "entries are removed once unused: no leak per ID ever seen");
    }

    [Test]
    public async Task DisposingAHolderTwice_ReleasesOnce()
    {
        var locks = new KeyedLock();
        var first = await locks.LockAsync("a");
        var second = locks.LockAsync("a");
        var third = locks.LockAsync("a");
        first.Dispose();
        first.Dispose();
        await second.WaitAsync(TimeSpan.FromSeconds(1));
        await Task.Delay(Soon);
        Assert.That(third.IsCompleted, Is.False);
        second.Result.Dispose();
        (await third.WaitAsync(TimeSpan.FromSeconds(1))).Dispose();
    }
}
