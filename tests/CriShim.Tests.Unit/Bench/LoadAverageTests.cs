using CriShim.Bench.Infra;

namespace CriShim.Tests.Unit.Bench;

public sealed class LoadAverageTests
{
    [Test]
    public void The_one_minute_load_is_the_first_field_of_proc_loadavg()
    {
        Assert.That(LoadAverage.Parse("1.25 0.80 0.40 2/345 6789\n"), Is.EqualTo(1.25));
    }

    [Test]
    public void The_default_limit_is_one_on_two_cores()
    {
        Assert.That(LoadAverage.DefaultLimit(2), Is.EqualTo(1.0));
    }

    [TestCase(0.9, false, "Quiet")]
    [TestCase(1.0, false, "Quiet")]
    [TestCase(1.01, false, "Refused")]
    [TestCase(3.5, true, "Forced")]
    public void A_run_above_the_limit_is_refused_unless_forced(double load, bool force, string expected)
    {
        Assert.That(LoadAverage.Judge(load, 1.0, force).ToString(), Is.EqualTo(expected));
    }

    [Test]
    public async Task Settling_stops_as_soon_as_the_load_is_under_the_limit()
    {
        var readings = new Queue<double>([2.0, 0.5, 3.0]);
        var waits = 0;
        var load = await LoadAverage.SettleAsync(1.0, TimeSpan.FromMinutes(1), readings.Dequeue, (_, _) => waits++, CancellationToken.None);
        Assert.That(load, Is.EqualTo(0.5));
        Assert.That(waits, Is.EqualTo(1));
    }

    [Test]
    public async Task Without_time_to_settle_a_busy_machine_is_reported_as_it_is()
    {
        var load = await LoadAverage.SettleAsync(1.0, TimeSpan.Zero, () => 4.0, (_, _) => Assert.Fail("must not wait"), CancellationToken.None);
        Assert.That(load, Is.EqualTo(4.0));
    }
}
