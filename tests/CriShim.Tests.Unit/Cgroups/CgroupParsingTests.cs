using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Unit.Cgroups;

public class CgroupParsingTests
{
    [Test]
    public void Memory_stat_is_parsed_into_named_counters()
    {
        var stat = FlatKeyedParser.Parse("cache 11476992\nrss 9580544\ntotal_inactive_file 929316864\ntotal_pgmajfault 1478\n");

        Assert.That(stat["rss"], Is.EqualTo(9580544UL));
        Assert.That(stat["total_inactive_file"], Is.EqualTo(929316864UL));
        Assert.That(stat["total_pgmajfault"], Is.EqualTo(1478UL));
    }

    [Test]
    public void Cpu_stat_lines_with_non_numeric_values_are_skipped()
    {
        var stat = FlatKeyedParser.Parse("usage_usec 2500\nuser_usec 2000\nweird line here\nsystem_usec 500\nbad -3\n");

        Assert.That(stat.Keys, Is.EquivalentTo(new[] { "usage_usec", "user_usec", "system_usec" }));
        Assert.That(stat["usage_usec"], Is.EqualTo(2500UL));
    }

    [Test]
    public void Proc_net_dev_yields_receive_and_transmit_counters_per_interface()
    {
        const string text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo:     504       6    0    0    0     0          0         0      504       6    0    0    0     0       0          0
              eth0: 1234567    890    2    3    0     0          0         0    76543     210    4    5    0     0       0          0
            """;

        var interfaces = ProcNetDevParser.Parse(text);

        Assert.That(interfaces.Select(i => i.Name), Is.EqualTo(new[] { "lo", "eth0" }));
        var eth0 = interfaces[1];
        Assert.That(eth0, Is.EqualTo(new InterfaceStats("eth0", 1234567, 890, 2, 3, 76543, 210, 4, 5)));
    }

    [Test]
    public void Working_set_is_usage_minus_inactive_file_and_never_negative()
    {
        Assert.That(CgroupStatsReader.WorkingSet(100, 30), Is.EqualTo(70UL));
        Assert.That(CgroupStatsReader.WorkingSet(10, 30), Is.EqualTo(0UL));
        Assert.That(CgroupStatsReader.WorkingSet(100, null), Is.EqualTo(100UL));
        Assert.That(CgroupStatsReader.WorkingSet(null, 30), Is.Null);
    }

    [Test]
    public void Pressure_files_give_some_and_full_with_total_in_nanoseconds()
    {
        var psi = PressureParser.Parse("some avg10=1.50 avg60=0.25 avg300=0.00 total=1234\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\n");

        Assert.That(psi!.Some, Is.EqualTo(new PressureData(1_234_000, 1.5, 0.25, 0)));
        Assert.That(psi.Full!.TotalNanoSeconds, Is.EqualTo(7_000UL));
    }

    [Test]
    public void A_pressure_file_with_only_some_has_no_full_and_garbage_has_neither()
    {
        Assert.That(PressureParser.Parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n")!.Full, Is.Null);
        Assert.That(PressureParser.Parse("nonsense\n"), Is.Null);
    }
}
