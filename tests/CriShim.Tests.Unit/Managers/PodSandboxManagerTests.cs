using CriShim.Errors;
using CriShim.Stores;

namespace CriShim.Tests.Unit.Managers;

/// <summary>PodSandboxManager's state transitions over real stores, with the host side faked.</summary>
public sealed class PodSandboxManagerTests
{
    ManagerRig _rig = null!;

    [SetUp]
    public void Create() => _rig = new ManagerRig();

    [TearDown]
    public void Remove() => _rig.Dispose();

    [Test]
    public async Task Run_SavesAReadyCompleteRecord_WithWhatTheSetUpMade_AndReservesTheName()
    {
        var pod = await _rig.RunPodAsync();

        var stored = _rig.Stored(pod);
        Assert.That((stored.State, stored.Complete, stored.Ip, stored.NetworkSetUp), Is.EqualTo((PodState.Ready, true, "10.88.0.2", true)));
        Assert.That((stored.Name, stored.Namespace, stored.RuntimeHandler), Is.EqualTo(("web", "default", "")));
        Assert.That(_rig.PodRuntime.Calls, Is.EqualTo(new[] { $"setup {pod.Id}" }));
        var again = Assert.ThrowsAsync<DomainException>(() => _rig.RunPodAsync())!;
        Assert.That(again.Kind, Is.EqualTo(ErrorKind.AlreadyExists));
    }

    [Test]
    public async Task ARunWhoseSetUpFails_TearsDown_LeavesNoRecord_AndReleasesTheName()
    {
        _rig.PodRuntime.SetUpFails = new IOException("cni: no bridge");
        Assert.ThrowsAsync<IOException>(() => _rig.RunPodAsync());

        Assert.That(_rig.Pods.All, Is.Empty);
        Assert.That(_rig.PodRuntime.Calls, Has.Some.StartsWith("teardown "));
        _rig.PodRuntime.SetUpFails = null;
        Assert.That((await _rig.RunPodAsync()).Name, Is.EqualTo("web"), "kubelet retries under the same name");
    }

    [Test]
    public async Task ARunWhoseTearDownFailsToo_KeepsTheHalfCreatedRecord_ForRecovery()
    {
        _rig.PodRuntime.SetUpFails = new IOException("cni: no bridge");
        _rig.PodRuntime.TearDownFailures.Add("network: busy");
        Assert.ThrowsAsync<IOException>(() => _rig.RunPodAsync());

        Assert.That(_rig.Pods.All.Single().Complete, Is.False);
    }

    [Test]
    public void Run_WithAnUnknownHandler_IsAnInvalidArgument_AndMakesNothing()
    {
        var e = Assert.ThrowsAsync<DomainException>(() => _rig.PodManager.RunAsync(ManagerRig.PodConfig(), "kata", CancellationToken.None))!;
        Assert.That(e.Kind, Is.EqualTo(ErrorKind.InvalidArgument));
        Assert.That((_rig.Pods.All.Count, _rig.PodRuntime.Calls.Count), Is.EqualTo((0, 0)));
    }

    [Test]
    public async Task Stop_StopsEveryContainer_AndThePodsHostSide_AndMakesItNotReady()
    {
        var pod = await _rig.RunPodAsync();
        var running = await _rig.CreateContainerAsync(pod, "running");
        await _rig.ContainerManager.StartAsync(running, CancellationToken.None);
        var created = await _rig.CreateContainerAsync(pod, "created");

        await _rig.PodManager.StopAsync(pod, CancellationToken.None);

        var stored = _rig.Stored(pod);
        Assert.That((stored.State, stored.NetworkSetUp), Is.EqualTo((PodState.NotReady, false)));
        Assert.That(_rig.Stored(running).State, Is.EqualTo(ContainerRunState.Exited));
        Assert.That(_rig.Stored(created).State, Is.EqualTo(ContainerRunState.Exited));
        Assert.That(_rig.ContainerRuntime.Stops.Select(s => s.Grace), Is.All.EqualTo(TimeSpan.Zero));
        Assert.That(_rig.PodRuntime.Calls, Does.Contain($"stop {pod.Id}"));
        Assert.That(_rig.Containers.InPod(pod.Id).Count(), Is.EqualTo(2), "stopped containers stay listed");
    }

    [Test]
    public async Task StopTwice_IsNoError_AndDoesNotStopExitedContainersAgain()
    {
        var pod = await _rig.RunPodAsync();
        var c = await _rig.CreateContainerAsync(pod);
        await _rig.ContainerManager.StartAsync(c, CancellationToken.None);
        await _rig.PodManager.StopAsync(pod, CancellationToken.None);
        var exited = _rig.Stored(c);

        await _rig.PodManager.StopAsync(pod, CancellationToken.None);

        Assert.That(_rig.Stored(pod).State, Is.EqualTo(PodState.NotReady));
        Assert.That(_rig.ContainerRuntime.Stops, Has.Count.EqualTo(1));
        Assert.That(_rig.Stored(c), Is.EqualTo(exited));
    }

    [Test]
    public async Task Remove_RemovesItsContainers_TearsDown_DeletesTheRecord_AndReleasesTheName()
    {
        var pod = await _rig.RunPodAsync();
        var c = await _rig.CreateContainerAsync(pod);
        await _rig.ContainerManager.StartAsync(c, CancellationToken.None);

        await _rig.PodManager.RemoveAsync(pod, CancellationToken.None);

        Assert.That(_rig.Pods.Get(pod.Id), Is.Null);
        Assert.That(_rig.Containers.Get(c.Id), Is.Null);
        Assert.That(_rig.ContainerRuntime.Calls, Does.Contain($"stop {c.Id}").And.Contain($"teardown {c.Id}"));
        Assert.That(_rig.PodRuntime.Calls, Does.Contain($"teardown {pod.Id}"));
        Assert.That((await _rig.RunPodAsync()).Id, Is.Not.EqualTo(pod.Id), "the name is free again");
    }

    [Test]
    public async Task RemoveTwice_AndStopAfterRemove_AreNoErrors()
    {
        var pod = await _rig.RunPodAsync();
        await _rig.PodManager.RemoveAsync(pod, CancellationToken.None);
        await _rig.PodManager.RemoveAsync(pod, CancellationToken.None);
        await _rig.PodManager.StopAsync(pod, CancellationToken.None);

        Assert.That(_rig.PodRuntime.Calls.Count(call => call == $"teardown {pod.Id}"), Is.EqualTo(1));
        Assert.That(_rig.PodRuntime.Calls, Does.Not.Contain($"stop {pod.Id}"));
        Assert.That(_rig.Pods.All, Is.Empty);
    }

    [Test]
    public async Task ARemoveWhoseTearDownFails_KeepsTheRecordNotReady_AndARetryFinishes()
    {
        var pod = await _rig.RunPodAsync();
        _rig.PodRuntime.TearDownFailures.Add("namespaces: device busy");

        var e = Assert.ThrowsAsync<DomainException>(() => _rig.PodManager.RemoveAsync(pod, CancellationToken.None))!;
        Assert.That(e.Kind, Is.EqualTo(ErrorKind.Internal));
        Assert.That(e.Message, Does.Contain("namespaces: device busy"));
        Assert.That(_rig.Stored(pod).State, Is.EqualTo(PodState.NotReady));

        _rig.PodRuntime.TearDownFailures.Clear();
        await _rig.PodManager.RemoveAsync(pod, CancellationToken.None);
        Assert.That(_rig.Pods.Get(pod.Id), Is.Null);
    }

    [Test]
    public async Task ARemoveWaits_ForAContainerCallInThePod()
    {
        var pod = await _rig.RunPodAsync();
        var c = await _rig.CreateContainerAsync(pod);
        var containerCall = await _rig.Containers.LockAsync(c, CancellationToken.None);
        var remove = _rig.PodManager.RemoveAsync(pod, CancellationToken.None);
        await Task.Delay(100);
        Assert.That(remove.IsCompleted, Is.False);
        Assert.That(_rig.Pods.Get(pod.Id), Is.Not.Null);
        containerCall.Dispose();
        await remove.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That((_rig.Pods.Get(pod.Id), _rig.Containers.Get(c.Id)), Is.EqualTo(((PodRecord?)null, (ContainerRecord?)null)));
    }
}
