using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Lifecycle;

/// <summary>One lifecycle operation at a time per pod and per container: calls that race end consistent.</summary>
[TestFixture]
public class OperationLockTests : LifecycleFixture
{
    [Test]
    public async Task TwoConcurrentStartContainerCalls_LeaveTheContainerRunning()
    {
        var (pod, config) = await RunPodAsync(Unique("twostart"));
        for (var i = 0; i < 5; i++)
        {
            var id = await CreateAsync(pod, config, ContainerConfig($"c{i}", "sleep", "1000"));
            var codes = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
                CodeOf(() => Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }).ResponseAsync))));

            Assert.That(codes, Has.Some.EqualTo(StatusCode.OK));
            Assert.That(codes, Has.All.EqualTo(StatusCode.OK).Or.EqualTo(StatusCode.FailedPrecondition), "the loser is told the container already runs");
            var status = await StatusAsync(id);
            Assert.That((status.State, status.Reason), Is.EqualTo((ContainerState.ContainerRunning, "")), $"container {id}: {status.Message}");
            Assert.That(await ExecTextAsync(id, "echo", "alive"), Is.EqualTo("alive\n"));
        }
        await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod });
    }

    [Test]
    public async Task CreateContainerRacingRemovePodSandbox_LeavesNoRecordMonitorMountOrBundleBehind()
    {
        var before = Leftovers.Of(Daemon);
        for (var i = 0; i < 20; i++)
        {
            var (pod, config) = await RunPodAsync(Unique("race"));
            var create = Task.Run(() => CodeOf(() => CreateAsync(pod, config, ContainerConfig("racer", "sleep", "1000"))));
            await Task.Delay(i % 5 * 15); // remove at several points of the create
            await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod });
            var code = await create;

            Assert.That(code, Is.EqualTo(StatusCode.OK).Or.EqualTo(StatusCode.NotFound).Or.EqualTo(StatusCode.FailedPrecondition));
            Assert.That((await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items.Select(p => p.Id), Does.Not.Contain(pod));
            var containers = await Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = pod } });
            Assert.That(containers.Containers, Is.Empty, $"iteration {i}: the container outlived its pod");
            var left = Leftovers.Of(Daemon).Except(before);
            Assert.That(left.IsEmpty, Is.True, $"iteration {i} (create answered {code}) left {left}");
        }
    }
}
