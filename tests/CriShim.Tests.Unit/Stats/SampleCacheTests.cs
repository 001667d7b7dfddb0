using CriShim.Stats;

namespace CriShim.Tests.Unit.Stats;

/// <summary>Housekeeping samples: answered as they are while fresh, answered and refreshed in the background up to
/// maxAge, taken by the caller past it; a forgotten key stays forgotten.</summary>
public sealed class SampleCacheTests
{
    sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    sealed record Sample(int N);

    static readonly TimeSpan Fresh = TimeSpan.FromSeconds(1), MaxAge = TimeSpan.FromSeconds(10);

    /// <summary>A take that answers its call count: at once the first time, later ones once the gate is open (or at once
    /// when opened from the start), failing them when told to.</summary>
    sealed class Taker(bool gated = false, bool failLater = false)
    {
        readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        int _calls;
        public int Calls => Volatile.Read(ref _calls);
        public void Open() => _gate.TrySetResult();

        public async Task<Sample> Take(CancellationToken _)
        {
            var n = Interlocked.Increment(ref _calls);
            if (n == 1) return new Sample(n);
            if (gated) await _gate.Task;
            return failLater ? throw new IOException("cgroup gone") : new Sample(n);
        }
    }

    readonly ManualClock _clock = new();
    SampleCache<Sample> _cache = null!;

    [SetUp]
    public void Create() => _cache = new SampleCache<Sample>(Fresh, MaxAge, _clock);

    [TearDown]
    public void Dispose() => _cache.Dispose();

    Task<Sample> Get(Taker taker, string key = "c") => _cache.GetAsync(key, taker.Take, CancellationToken.None).AsTask();

    static async Task Until(Func<bool> done)
    {
        for (var i = 0; i < 1000 && !done(); i++) await Task.Delay(10);
    }

    /// <summary>A kept sample, now stale: the next read queues its refresh.</summary>
    async Task<Taker> StaleAsync(Taker taker)
    {
        await Get(taker);
        _clock.Now += Fresh;
        return taker;
    }

    [Test]
    public async Task AFreshSample_IsAnsweredWithoutTakingAnother()
    {
        var taker = new Taker();
        var first = await Get(taker);
        _clock.Now += Fresh - TimeSpan.FromMilliseconds(1);
        Assert.That(await Get(taker), Is.SameAs(first));
        await Task.Delay(50);
        Assert.That(taker.Calls, Is.EqualTo(1));
    }

    [Test]
    public async Task AStaleSample_IsAnswered_AndRefreshedOnceInTheBackground()
    {
        var taker = await StaleAsync(new Taker(gated: true));
        Assert.That((await Get(taker)).N, Is.EqualTo(1), "stale, not expired: answered as it is");
        Assert.That((await Get(taker)).N, Is.EqualTo(1), "while the refresh is under way");
        taker.Open();
        await Until(() => _cache.TryGet("c", taker.Take, out var s) && s.N == 2);
        Assert.That((await Get(taker)).N, Is.EqualTo(2), "the refresh landed");
        Assert.That(taker.Calls, Is.EqualTo(2), "one refresh for several stale reads");
    }

    [Test]
    public async Task AnExpiredSample_IsTakenByTheCaller_AndOnesNobodyAsksFor_AreSwept()
    {
        var taker = new Taker();
        await Get(taker);
        await Get(taker, "gone");
        _clock.Now += MaxAge;
        Assert.That(_cache.TryGet("c", taker.Take, out _), Is.False);
        Assert.That(_cache.Count, Is.Zero, "samples past maxAge are never answered, so they are dropped");
        Assert.That((await Get(taker)).N, Is.EqualTo(3));
        Assert.That((await Get(taker)).N, Is.EqualTo(3), "and kept");
        Assert.That(_cache.Count, Is.EqualTo(1));
    }

    [Test]
    public async Task AForgottenKey_IsTakenAgain_AndARefreshUnderWayDoesNotBringItBack()
    {
        var taker = await StaleAsync(new Taker(gated: true));
        Assert.That(_cache.TryGet("c", taker.Take, out _), Is.True, "stale: a refresh is queued");
        await Until(() => taker.Calls == 2); // the refresh is taking its sample
        _cache.Forget("c");
        taker.Open();
        await Task.Delay(50);
        Assert.That(_cache.Count, Is.Zero, "the refresh of a forgotten key is dropped");
        Assert.That(_cache.TryGet("c", taker.Take, out _), Is.False);
    }

    [Test]
    public async Task AFailedRefresh_KeepsTheSample_UntilItExpires()
    {
        var taker = await StaleAsync(new Taker(failLater: true));
        Assert.That(_cache.TryGet("c", taker.Take, out var stale) && stale.N == 1);
        await Until(() => taker.Calls == 2);
        await Task.Delay(50);
        Assert.That(_cache.TryGet("c", taker.Take, out var still) && still.N == 1, "still answered");
        _clock.Now += MaxAge;
        Assert.ThrowsAsync<IOException>(() => Get(taker), "past maxAge the caller takes one and sees the error");
    }
}
