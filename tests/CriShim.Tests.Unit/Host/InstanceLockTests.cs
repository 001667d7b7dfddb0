using CriShim.Host;

namespace CriShim.Tests.Unit.Host;

/// <summary>One daemon per root/state: the flock is refused to a second holder and freed on release.</summary>
public sealed class InstanceLockTests
{
    string _dir = null!;

    [SetUp]
    public void Create() => _dir = Path.Combine("/tmp", $"crishim-lock-{Guid.NewGuid():N}");

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void ASecondLockOnTheSameDirectory_IsRefusedWithAMessageNamingTheHolder()
    {
        using var first = InstanceLock.Acquire([Path.Combine(_dir, "root"), Path.Combine(_dir, "state")]);
        var e = Assert.Throws<InstanceLockedException>(() => InstanceLock.Acquire([Path.Combine(_dir, "other"), Path.Combine(_dir, "state")]))!;
        Assert.That(e.Message, Does.Contain($"pid {Environment.ProcessId}").And.Contain(Path.Combine(_dir, "state")));
        Assert.That(Directory.Exists(Path.Combine(_dir, "other")), Is.True);
        // The refused attempt released what it had taken: "other" can be locked.
        InstanceLock.Acquire([Path.Combine(_dir, "other")]).Dispose();
    }

    [Test]
    public void AReleasedLock_CanBeTakenAgain_AndRootEqualToStateIsOneLock()
    {
        InstanceLock.Acquire([_dir, _dir + "/"]).Dispose();
        Assert.DoesNotThrow(() => InstanceLock.Acquire([_dir]).Dispose());
    }
}
