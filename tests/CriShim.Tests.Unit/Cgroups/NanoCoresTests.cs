using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Unit.Cgroups;

public class NanoCoresTests
{
    [Test]
    public void Half_a_core_busy_for_two_seconds_is_half_a_billion_nano_cores()
    {
        var previous = new CpuSample(TimestampNanos: 10_000_000_000, UsageCoreNanoSeconds: 5_000_000_000);
        var current = new CpuSample(TimestampNanos: 12_000_000_000, UsageCoreNanoSeconds: 6_000_000_000);

        Assert.That(NanoCoresCalculator.Compute(previous, current), Is.EqualTo(500_000_000UL));
    }

    [Test]
    public void Two_full_cores_give_two_billion_nano_cores()
    {
        var rate = NanoCoresCalculator.Compute(new CpuSample(0, 0), new CpuSample(1_000_000_000, 2_000_000_000));

        Assert.That(rate, Is.EqualTo(2_000_000_000UL));
    }

    [Test]
    public void No_rate_when_time_does_not_advance_or_usage_goes_backwards()
    {
        Assert.That(NanoCoresCalculator.Compute(new CpuSample(5, 100), new CpuSample(5, 200)), Is.Null);
        Assert.That(NanoCoresCalculator.Compute(new CpuSample(5, 100), new CpuSample(4, 200)), Is.Null);
        Assert.That(NanoCoresCalculator.Compute(new CpuSample(5, 300), new CpuSample(9, 200)), Is.Null);
    }

    [Test]
    public void Tracker_reports_nothing_for_the_first_sample_then_the_rate_since_the_previous_one()
    {
        var tracker = new NanoCoresTracker();

        Assert.That(tracker.Update("c1", new CpuSample(0, 0)), Is.Null);
        Assert.That(tracker.Update("c1", new CpuSample(1_000_000_000, 250_000_000)), Is.EqualTo(250_000_000UL));
        Assert.That(tracker.Update("c2", new CpuSample(1_000_000_000, 7)), Is.Null, "each id has its own history");
    }

    [Test]
    public void Tracker_ignores_a_stale_sample_and_starts_over_after_forget()
    {
        var tracker = new NanoCoresTracker();
        tracker.Update("c1", new CpuSample(2_000_000_000, 1_000_000_000));

        Assert.That(tracker.Update("c1", new CpuSample(1_000_000_000, 0)), Is.Null);
        Assert.That(tracker.Update("c1", new CpuSample(3_000_000_000, 2_000_000_000)), Is.EqualTo(1_000_000_000UL));
        tracker.Forget("c1");
        Assert.That(tracker.Update("c1", new CpuSample(4_000_000_000, 2_500_000_000)), Is.Null);
    }
}
