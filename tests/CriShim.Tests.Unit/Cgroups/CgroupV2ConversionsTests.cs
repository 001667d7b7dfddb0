using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Unit.Cgroups;

public class CgroupV2ConversionsTests
{
    [TestCase(2UL, 1UL)]
    [TestCase(1024UL, 39UL)]
    [TestCase(262144UL, 10000UL)]
    [TestCase(0UL, 1UL)]
    [TestCase(1_000_000UL, 10000UL)]
    public void Cpu_shares_convert_to_weight_like_runc(ulong shares, ulong weight)
    {
        Assert.That(CgroupV2Conversions.SharesToWeight(shares), Is.EqualTo(weight));
    }

    [Test]
    public void Cpu_max_combines_quota_and_period_and_unlimited_quota_is_max()
    {
        Assert.That(CgroupV2Conversions.CpuMax(50000, 100000, "max 100000"), Is.EqualTo("50000 100000"));
        Assert.That(CgroupV2Conversions.CpuMax(-1, 100000, "50000 100000"), Is.EqualTo("max 100000"));
        Assert.That(CgroupV2Conversions.CpuMax(20000, null, "max 100000"), Is.EqualTo("20000"));
        Assert.That(CgroupV2Conversions.CpuMax(null, null, "max 100000"), Is.Null);
    }

    [Test]
    public void Changing_only_the_period_keeps_the_current_quota()
    {
        Assert.That(CgroupV2Conversions.CpuMax(null, 50000, "30000 100000"), Is.EqualTo("30000 50000"));
    }

    [Test]
    public void Memory_plus_swap_becomes_swap_only_on_v2()
    {
        Assert.That(CgroupV2Conversions.SwapToV2(300, 100), Is.EqualTo(200));
        Assert.That(CgroupV2Conversions.SwapToV2(100, 100), Is.EqualTo(0));
        Assert.That(CgroupV2Conversions.SwapToV2(-1, 100), Is.EqualTo(-1));
        Assert.That(CgroupV2Conversions.SwapToV2(null, 100), Is.Null);
        Assert.That(CgroupV2Conversions.SwapToV2(null, -1), Is.EqualTo(-1), "unlimited memory lifts swap too");
        Assert.Throws<ArgumentException>(() => CgroupV2Conversions.SwapToV2(50, 100));
        Assert.Throws<ArgumentException>(() => CgroupV2Conversions.SwapToV2(50, null));
    }
}
