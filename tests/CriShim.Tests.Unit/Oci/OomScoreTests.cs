using CriShim.Oci.Specs;

namespace CriShim.Tests.Unit.Oci;

public class OomScoreTests
{
    [TestCase(-998, 0, 0)]
    [TestCase(-998, -500, -500)]
    [TestCase(-998, -1000, -998)]
    [TestCase(500, 0, 500)]
    [TestCase(5000, 0, 1000)]
    [TestCase(-5000, -1000, -1000)]
    public void Requested_scores_never_go_below_the_daemons_own(long requested, int daemon, int expected)
    {
        Assert.That(OomScore.Clamp(requested, daemon), Is.EqualTo(expected));
    }

    [Test]
    public void The_real_host_reads_the_daemons_score()
    {
        var expected = int.Parse(File.ReadAllText("/proc/self/oom_score_adj").Trim());
        Assert.That(new LinuxHostEnvironment().MinimumOomScoreAdj, Is.EqualTo(expected));
    }
}
