using CriShim.Oci.Specs;
using CriShim.Oci.Specs.Model;

namespace CriShim.Tests.Unit.Oci;

public class IdMapsTests
{
    static readonly IdMapping Pod = new(0, 100000, 65536);

    [Test]
    public void The_proc_map_has_one_line_per_mapping_container_first()
    {
        Assert.That(IdMaps.ProcMap([Pod, new IdMapping(65536, 300000, 10)]), Is.EqualTo("0 100000 65536\n65536 300000 10\n"));
    }

    [TestCase(0u, 100000u)]
    [TestCase(1000u, 101000u)]
    [TestCase(65535u, 165535u)]
    public void A_mapped_container_id_has_its_host_id(uint container, uint host) =>
        Assert.That(IdMaps.HostIdOf([Pod], container), Is.EqualTo(host));

    [Test]
    public void An_unmapped_container_id_has_no_host_id() =>
        Assert.That(IdMaps.HostIdOf([Pod], 65536), Is.Null);

    [Test]
    public void A_kubelet_style_mapping_is_valid() => Assert.DoesNotThrow(() => IdMaps.Validate([Pod], "uids"));

    static IEnumerable<TestCaseData> Invalid()
    {
        yield return new TestCaseData(new List<IdMapping>(), "at least one").SetName("No_mapping_is_invalid");
        yield return new TestCaseData(new List<IdMapping> { new(0, 100000, 0) }, "length 0").SetName("An_empty_range_is_invalid");
        yield return new TestCaseData(new List<IdMapping> { new(0, 0, 65536) }, "host ID 0").SetName("Mapping_host_root_is_invalid");
        yield return new TestCaseData(new List<IdMapping> { new(1, 100000, 10) }, "container ID 0 is not mapped").SetName("Leaving_container_root_unmapped_is_invalid");
        yield return new TestCaseData(new List<IdMapping> { new(0, uint.MaxValue - 5, 10) }, "32-bit").SetName("A_range_past_the_id_space_is_invalid");
        yield return new TestCaseData(new List<IdMapping> { new(0, 100000, 100), new(50, 200000, 100) }, "container ID ranges").SetName("Overlapping_container_ranges_are_invalid");
        yield return new TestCaseData(new List<IdMapping> { new(0, 100000, 100), new(100, 100050, 100) }, "host ID ranges").SetName("Overlapping_host_ranges_are_invalid");
        yield return new TestCaseData(Enumerable.Range(0, 341).Select(i => new IdMapping((uint)i, 100000 + (uint)i, 1)).ToList(), "at most 340").SetName("More_mappings_than_the_kernel_takes_are_invalid");
    }

    [TestCaseSource(nameof(Invalid))]
    public void Invalid_mappings_are_refused_naming_the_field(List<IdMapping> mappings, string reason)
    {
        Assert.That(() => IdMaps.Validate(mappings, "userns_options.uids"),
            Throws.TypeOf<SpecException>().With.Message.Contains(reason).And.Message.Contains("userns_options.uids"));
    }
}
