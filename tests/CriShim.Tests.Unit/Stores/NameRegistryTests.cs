using CriShim.Stores;

namespace CriShim.Tests.Unit.Stores;

/// <summary>Names are held by one ID; only that ID frees them.</summary>
public sealed class NameRegistryTests
{
    [Test]
    public void AReservedName_IsRefusedToAnotherId_AndNamesItsHolder()
    {
        var names = new NameRegistry();
        Assert.That(names.Reserve("c_pod_0", "id1"), Is.Null);
        Assert.That(names.Reserve("c_pod_0", "id1"), Is.Null, "the holder may reserve again (recovery)");
        Assert.That(names.Reserve("c_pod_0", "id2"), Is.EqualTo("id1"));
    }

    [Test]
    public void AReleasedName_CanBeReservedAgain_ButOnlyTheHolderReleasesIt()
    {
        var names = new NameRegistry();
        names.Reserve("c_pod_0", "id1");
        names.Release("c_pod_0", "id2");
        Assert.That(names.Reserve("c_pod_0", "id2"), Is.EqualTo("id1"), "another ID's release leaves the holder's name alone");
        names.Release("c_pod_0", "id1");
        Assert.That(names.Reserve("c_pod_0", "id2"), Is.Null);
    }
}
