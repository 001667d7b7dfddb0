using CriShim.Oci.Specs;

namespace CriShim.Tests.Unit.Oci;

public class CapabilitySetTests
{
    [TestCase("net_admin")]
    [TestCase("NET_ADMIN")]
    [TestCase("CAP_NET_ADMIN")]
    [TestCase("cap_net_admin")]
    public void Names_are_normalized_with_the_cap_prefix(string name)
    {
        Assert.That(CapabilitySet.Normalize(name), Is.EqualTo("CAP_NET_ADMIN"));
    }

    [Test]
    public void Unknown_names_are_refused_with_the_name_in_the_message()
    {
        Assert.That(() => CapabilitySet.Normalize("FLY"), Throws.TypeOf<SpecException>().With.Message.Contains("FLY"));
        Assert.That(() => CapabilitySet.Apply(OciDefaults.Capabilities, ["BOGUS"], []), Throws.InstanceOf<ArgumentException>());
    }

    [Test]
    public void Add_and_drop_change_the_defaults()
    {
        var caps = CapabilitySet.Apply(OciDefaults.Capabilities, ["sys_time"], ["CHOWN", "CAP_KILL"]);
        Assert.That(caps, Does.Contain("CAP_SYS_TIME").And.Not.Contain("CAP_CHOWN").And.Not.Contain("CAP_KILL"));
        Assert.That(caps, Has.Count.EqualTo(OciDefaults.Capabilities.Count - 1));
    }

    [Test]
    public void Add_all_grants_every_capability_but_individual_drops_still_apply()
    {
        var caps = CapabilitySet.Apply(OciDefaults.Capabilities, ["ALL"], ["CHOWN"]);
        Assert.That(caps, Has.Count.EqualTo(CapabilitySet.All.Count - 1));
        Assert.That(caps, Does.Not.Contain("CAP_CHOWN").And.Contain("CAP_SYS_ADMIN"));
    }

    [Test]
    public void Drop_all_clears_the_set_but_individual_adds_still_apply()
    {
        Assert.That(CapabilitySet.Apply(OciDefaults.Capabilities, ["NET_BIND_SERVICE"], ["all"]), Is.EqualTo(new[] { "CAP_NET_BIND_SERVICE" }));
        Assert.That(CapabilitySet.Apply(OciDefaults.Capabilities, [], ["ALL"]), Is.Empty);
    }

    [Test]
    public void Add_all_and_drop_all_leaves_nothing()
    {
        Assert.That(CapabilitySet.Apply(OciDefaults.Capabilities, ["ALL"], ["ALL"]), Is.Empty);
    }

    [Test]
    public void The_full_set_has_every_kernel_capability_once()
    {
        Assert.That(CapabilitySet.All, Has.Count.EqualTo(41).And.Unique);
    }

    [Test]
    public void All_means_what_the_daemon_holds_when_that_is_given()
    {
        var held = new[] { "CAP_CHOWN", "CAP_SYS_ADMIN" };
        Assert.That(CapabilitySet.Apply(OciDefaults.Capabilities, ["ALL"], [], held), Is.EqualTo(held));
    }

    [Test]
    public void A_capability_mask_decodes_to_names()
    {
        Assert.That(CapabilitySet.FromMask(0b1_0000_0000_0000_0000_0000_0001), Is.EqualTo(new[] { "CAP_CHOWN", "CAP_SYS_RESOURCE" }));
    }

    [Test]
    public void The_current_bounding_set_is_read_from_proc()
    {
        using var dir = new TempDir();
        var status = dir.Write("status", "Name:\tx\nCapBnd:\t0000000000000003\n");
        Assert.That(CapabilitySet.Current(status), Is.EqualTo(new[] { "CAP_CHOWN", "CAP_DAC_OVERRIDE" }));
        Assert.That(CapabilitySet.Current(), Does.Contain("CAP_CHOWN"));
    }
}
