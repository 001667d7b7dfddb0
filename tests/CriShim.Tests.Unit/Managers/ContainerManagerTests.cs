using CriShim.Containers;
using CriShim.Errors;
using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;
using CriShim.Stores;

namespace CriShim.Tests.Unit.Managers;

/// <summary>ContainerManager's state transitions over real stores, with the host side faked.</summary>
public sealed class ContainerManagerTests
{
    ManagerRig _rig = null!;
    PodRecord _pod = null!;

    [SetUp]
    public async Task Create()
    {
        _rig = new ManagerRig();
        _pod = await _rig.RunPodAsync();
    }

    [TearDown]
    public void Remove() => _rig.Dispose();

    [Test]
    public async Task Create_SavesACompleteCreatedRecord_WithTheMonitorsPid_AndReservesTheName()
    {
        var c = await _rig.CreateContainerAsync(_pod);

        var stored = _rig.Stored(c);
        Assert.That((stored.State, stored.Complete, stored.Pid), Is.EqualTo((ContainerRunState.Created, true, 4242)));
        Assert.That((stored.PodId, stored.Name, stored.ImageId), Is.EqualTo((_pod.Id, "app", ManagerRig.ImageId)));
        Assert.That(_rig.ContainerRuntime.Calls, Is.EqualTo(new[] { $"create {c.Id}" }));
        var again = Assert.ThrowsAsync<DomainException>(() => _rig.CreateContainerAsync(_pod))!;
        Assert.That(again.Kind, Is.EqualTo(ErrorKind.AlreadyExists));
    }

    [Test]
    public async Task ACreateTheRuntimeFails_LeavesNoRecord_TearsDown_AndReleasesTheName()
    {
        _rig.ContainerRuntime.CreateFails = new IOException("mount failed");
        Assert.ThrowsAsync<IOException>(() => _rig.CreateContainerAsync(_pod));

        Assert.That(_rig.Containers.All, Is.Empty);
        Assert.That(_rig.ContainerRuntime.Calls, Has.Some.StartsWith("teardown "));
        _rig.ContainerRuntime.CreateFails = null;
        Assert.That((await _rig.CreateContainerAsync(_pod)).Name, Is.EqualTo("app"), "kubelet retries under the same name");
    }

    [Test]
    public async Task Create_InAPodThatIsNotReady_IsAFailedPrecondition()
    {
        await _rig.PodManager.StopAsync(_pod, CancellationToken.None);
        var e = Assert.ThrowsAsync<DomainException>(() => _rig.CreateContainerAsync(_pod))!;
        Assert.That(e.Kind, Is.EqualTo(ErrorKind.FailedPrecondition));
        Assert.That(_rig.ContainerRuntime.Calls, Is.Empty);
    }

    [Test]
    public async Task Start_MakesACreatedContainerRunning_WithItsStartTime()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        var before = DateTimeOffset.UtcNow;
        await _rig.ContainerManager.StartAsync(c, CancellationToken.None);

        var stored = _rig.Stored(c);
        Assert.That(stored.State, Is.EqualTo(ContainerRunState.Running));
        Assert.That(stored.StartedAt, Is.Not.Null.And.GreaterThanOrEqualTo(before));
        Assert.That(stored.FinishedAt, Is.Null);
        Assert.That(_rig.ContainerRuntime.Calls, Does.Contain($"start {c.Id}"));
    }

    [Test]
    public async Task AFailedStart_RecordsAnExitWithStartError_AndFails()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        _rig.ContainerRuntime.StartFails = new InvalidOperationException("exec: \"/nope\": no such file");

        var e = Assert.ThrowsAsync<DomainException>(() => _rig.ContainerManager.StartAsync(c, CancellationToken.None))!;
        Assert.That(e.Kind, Is.EqualTo(ErrorKind.Unknown));
        Assert.That(e.Message, Does.Contain("no such file"));
        var stored = _rig.Stored(c);
        Assert.That((stored.State, stored.ExitCode, stored.Reason), Is.EqualTo((ContainerRunState.Exited, ContainerExitCodes.StartFailed, ContainerExitReasons.StartError)));
        Assert.That((stored.ExitCode, stored.Reason), Is.EqualTo((128, "StartError")), "the values kubelet knows");
        Assert.That(stored.Message, Does.Contain("no such file"));
        Assert.That(stored.FinishedAt, Is.Not.Null);
    }

    [Test]
    public async Task Start_OfAContainerNotCreated_IsAFailedPrecondition_AndDoesNotReachTheRuntime()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        await _rig.ContainerManager.StartAsync(c, CancellationToken.None);

        var e = Assert.ThrowsAsync<DomainException>(() => _rig.ContainerManager.StartAsync(c, CancellationToken.None))!;
        Assert.That(e.Kind, Is.EqualTo(ErrorKind.FailedPrecondition));
        Assert.That(_rig.ContainerRuntime.Calls.Count(call => call == $"start {c.Id}"), Is.EqualTo(1));
    }

    [Test]
    public async Task AProcessThatExitedDuringStart_IsRecordedExited_WithItsCode()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        _rig.ContainerRuntime.Exits[c.Id] = new ContainerExit(c.Id, 3, DateTimeOffset.UtcNow);
        await _rig.ContainerManager.StartAsync(c, CancellationToken.None);

        var stored = _rig.Stored(c);
        Assert.That((stored.State, stored.ExitCode, stored.Reason), Is.EqualTo((ContainerRunState.Exited, 3, ContainerExitReasons.Error)));
        Assert.That(stored.FinishedAt, Is.GreaterThanOrEqualTo(stored.StartedAt!.Value));
    }

    [Test]
    public async Task Stop_RecordsTheExitTheMonitorSaw_WithTheImagesStopSignalAndTheGrace()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        await _rig.ContainerManager.StartAsync(c, CancellationToken.None);
        await _rig.ContainerManager.StopAsync(c, TimeSpan.FromSeconds(7), CancellationToken.None);

        var stored = _rig.Stored(c);
        Assert.That((stored.State, stored.ExitCode, stored.Reason), Is.EqualTo((ContainerRunState.Exited, 137, ContainerExitReasons.Error)));
        Assert.That(_rig.ContainerRuntime.Stops, Is.EqualTo(new[] { (c.Id, TimeSpan.FromSeconds(7), Signals.SIGTERM) }));
    }

    [Test]
    public async Task Stop_WithNoExitSeen_RecordsCompletedWithZero()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        await _rig.ContainerManager.StartAsync(c, CancellationToken.None);
        _rig.ContainerRuntime.StopExit = _ => null;
        await _rig.ContainerManager.StopAsync(c, TimeSpan.Zero, CancellationToken.None);

        var stored = _rig.Stored(c);
        Assert.That((stored.State, stored.ExitCode, stored.Reason), Is.EqualTo((ContainerRunState.Exited, ContainerExitCodes.Success, ContainerExitReasons.Completed)));
    }

    [Test]
    public async Task Stop_OfAnExitedContainer_KeepsItsExit_AndDoesNotReachTheRuntime()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        await _rig.ContainerManager.StartAsync(c, CancellationToken.None);
        await _rig.ContainerManager.StopAsync(c, TimeSpan.Zero, CancellationToken.None);
        var exited = _rig.Stored(c);
        await _rig.ContainerManager.StopAsync(c, TimeSpan.Zero, CancellationToken.None);

        Assert.That(_rig.ContainerRuntime.Stops, Has.Count.EqualTo(1));
        Assert.That(_rig.Stored(c), Is.EqualTo(exited));
    }

    [Test]
    public async Task AnOomKill_IsRecordedAsOOMKilled_Once()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        await _rig.ContainerManager.StartAsync(c, CancellationToken.None);
        await _rig.ContainerManager.RecordExitAsync(new ContainerExit(c.Id, 137, DateTimeOffset.UtcNow, OomKilled: true));
        await _rig.ContainerManager.RecordExitAsync(new ContainerExit(c.Id, 1, DateTimeOffset.UtcNow));

        var stored = _rig.Stored(c);
        Assert.That((stored.ExitCode, stored.Reason), Is.EqualTo((137, ContainerExitReasons.OomKilled)), "the first exit recorded stays");
    }

    [Test]
    public async Task RemovingARunningContainer_StopsItAtOnce_TearsDown_DeletesTheRecord_AndReleasesTheName()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        await _rig.ContainerManager.StartAsync(c, CancellationToken.None);
        await _rig.ContainerManager.RemoveAsync(c, CancellationToken.None);

        Assert.That(_rig.Containers.Get(c.Id), Is.Null);
        Assert.That(_rig.ContainerRuntime.Stops, Is.EqualTo(new[] { (c.Id, TimeSpan.Zero, Signals.SIGTERM) }));
        var calls = _rig.ContainerRuntime.Calls;
        Assert.That(calls.IndexOf($"stop {c.Id}"), Is.LessThan(calls.IndexOf($"teardown {c.Id}")), "stopped before its rootfs goes");
        Assert.That((await _rig.CreateContainerAsync(_pod)).Id, Is.Not.EqualTo(c.Id), "the name is free again");
    }

    [Test]
    public async Task RemovingAnExitedContainer_DoesNotStopItAgain()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        await _rig.ContainerManager.StartAsync(c, CancellationToken.None);
        await _rig.ContainerManager.StopAsync(c, TimeSpan.Zero, CancellationToken.None);
        await _rig.ContainerManager.RemoveAsync(c, CancellationToken.None);

        Assert.That(_rig.ContainerRuntime.Stops, Has.Count.EqualTo(1));
        Assert.That(_rig.Containers.Get(c.Id), Is.Null);
    }

    [Test]
    public async Task RemovingAContainerTwice_IsNoError_AndTearsDownOnce()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        await _rig.ContainerManager.RemoveAsync(c, CancellationToken.None);
        await _rig.ContainerManager.RemoveAsync(c, CancellationToken.None);

        Assert.That(_rig.ContainerRuntime.Calls.Count(call => call == $"teardown {c.Id}"), Is.EqualTo(1));
    }

    [Test]
    public async Task StartingARemovedContainer_IsNotFound()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        await _rig.ContainerManager.RemoveAsync(c, CancellationToken.None);
        var e = Assert.ThrowsAsync<DomainException>(() => _rig.ContainerManager.StartAsync(c, CancellationToken.None))!;
        Assert.That(e.Kind, Is.EqualTo(ErrorKind.NotFound));
    }

    [Test]
    public async Task AStartWaits_ForAPodCallHoldingThePod()
    {
        var c = await _rig.CreateContainerAsync(_pod);
        var podCall = await _rig.Pods.LockAsync(_pod.Id, CancellationToken.None);
        var start = _rig.ContainerManager.StartAsync(c, CancellationToken.None);
        await Task.Delay(100);
        Assert.That(start.IsCompleted, Is.False);
        Assert.That(_rig.Stored(c).State, Is.EqualTo(ContainerRunState.Created));
        podCall.Dispose();
        await start.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(_rig.Stored(c).State, Is.EqualTo(ContainerRunState.Running));
    }
}
