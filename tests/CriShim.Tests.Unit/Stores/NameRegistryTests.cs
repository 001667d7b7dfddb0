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
    public void AnIdMayHoldSeveralNames_AndEachIsFreedAlone()
    {
        var names = new NameRegistry();
        Assert.That(names.Reserve("a_pod_0", "id1"), Is.Null);
        Assert.That(names.Reserve("b_pod_0", "id1"), Is.Null);
        names.Release("a_pod_0", "id1");
        Assert.That(names.Reserve("a_pod_0", "id2"), Is.Null);
        Assert.That(names.Reserve("b_pod_0", "id2"), Is.EqualTo("id1"));
    }

    [Test]
    public void ReleasingANameNoOneHolds_IsHarmless()
    {
        var names = new NameRegistry();
        Assert.DoesNotThrow(() => names.Release("never", "id1"));
        Assert.That(names.Reserve("never", "id1"), Is.Null);
    }

    [Test]
    public async Task ConcurrentReservationsOfOneName_HaveExactlyOneWinner_WhomEveryLoserIsTold()
    {
        var names = new NameRegistry();
        using var start = new ManualResetEventSlim();
        var attempts = Enumerable.Range(0, 32).Select(i => Task.Run(() =>
        {
            start.Wait();
            return (Id: $"id{i}", Holder: names.Reserve("c_pod_0", $"id{i}"));
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(attempts);

        var winners = results.Where(r => r.Holder is null).Select(r => r.Id).ToList();
        Assert.That(winners, Has.Count.EqualTo(1));
        Assert.That(results.Where(r => r.Holder is not null).Select(r => r.Holder).Distinct(), Is.EqualTo(winners));
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
