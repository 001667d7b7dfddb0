using CriShim.Host;

namespace CriShim.Tests.Unit.Host;

/// <summary>Tick is fed allocation counts directly; the one that trims runs a real (small) full GC.</summary>
public sealed class IdleMemoryTrimmerTests
{
    [Test]
    public void It_trims_once_quiet_after_a_burst_and_not_while_busy_or_after_little()
    {
        var trimmer = new IdleMemoryTrimmer();
        long start = GC.GetTotalAllocatedBytes();
        Assert.That(trimmer.Tick(start + (IdleMemoryTrimmer.QuietBytes / 2)), Is.False);          // little allocated
        Assert.That(trimmer.Tick(start + IdleMemoryTrimmer.BurstBytes * 2), Is.False);             // busy
        Assert.That(trimmer.Tick(start + IdleMemoryTrimmer.BurstBytes * 2 + 10), Is.True);         // quiet after it
        Assert.That(trimmer.Tick(GC.GetTotalAllocatedBytes() + 10), Is.False);                     // nothing new
    }
}
