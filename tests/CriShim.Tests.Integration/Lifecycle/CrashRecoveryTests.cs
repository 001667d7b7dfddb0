using Runtime.V1;

namespace CriShim.Tests.Integration.Lifecycle;

/// <summary>kill -9 of the daemon with real containers: they keep running, exits that happen meanwhile are seen.</summary>
[TestFixture]
public class CrashRecoveryTests : LifecycleFixture
{
    [Test]
    public async Task AfterKill9_RunningContainersKeepRunning_ExitsAreSeen_LogsAndStateAreIntact()
    {
        var (pod, config) = await RunPodAsync(Unique("crash"));
        var longRunning = await StartAsync(pod, config, ContainerConfig("long", "sh", "-c", "echo before; sleep 1000"));
        var shortLived = await StartAsync(pod, config, ContainerConfig("short", "sh", "-c", "sleep 2; echo bye; exit 7"));
        var created = await CreateAsync(pod, config, ContainerConfig("created", "sleep", "1000"));
        var pidBefore = await ExecTextAsync(longRunning, "sh", "-c", "cat /proc/1/stat | cut -d' ' -f22");

        Daemon.Kill();
        await Task.Delay(TimeSpan.FromSeconds(3)); // the short container exits while the daemon is down
        await Daemon.RestartAsync();

        var pods = await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest());
        Assert.That(pods.Items.Single(p => p.Id == pod).State, Is.EqualTo(PodSandboxState.SandboxReady));
        Assert.That((await StatusAsync(longRunning)).State, Is.EqualTo(ContainerState.ContainerRunning));
        var pidAfter = await ExecTextAsync(longRunning, "sh", "-c", "cat /proc/1/stat | cut -d' ' -f22");
        Assert.That(pidAfter, Is.EqualTo(pidBefore), "the same process kept running (same start time)");

        var exited = await WaitExitedAsync(shortLived);
        Assert.That((exited.ExitCode, exited.Reason), Is.EqualTo((7, "Error")));
        var log = await File.ReadAllTextAsync(exited.LogPath);
        Assert.That(log, Does.Contain("stdout F bye"));
        Assert.That(await File.ReadAllTextAsync((await StatusAsync(longRunning)).LogPath), Does.Contain("stdout F before"));

        Assert.That((await StatusAsync(created)).State, Is.EqualTo(ContainerState.ContainerCreated));
        await Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = created });
        Assert.That((await StatusAsync(created)).State, Is.EqualTo(ContainerState.ContainerRunning));

        // Names stay reserved across the restart.
        Assert.That(await CodeOf(() => Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config }).ResponseAsync),
            Is.EqualTo(Grpc.Core.StatusCode.AlreadyExists));

        await Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod });
        await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod });
        Assert.That((await Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = pod } })).Containers, Is.Empty);
    }

    [Test]
    public async Task AHalfCreatedPodRecord_IsCleanedUpAtRestart()
    {
        var (pod, _) = await RunPodAsync(Unique("half"));
        var record = Path.Combine(Daemon.Root, "pods", pod + ".json");
        // What a crash between "record written" and "pod complete" leaves: the record without its completion mark.
        var json = await File.ReadAllTextAsync(record);
        await File.WriteAllTextAsync(record, json.Replace("\"complete\":true", "\"complete\":false"));
        Daemon.Kill();
        await Daemon.RestartAsync();
        Assert.That(File.Exists(record), Is.False);
        Assert.That(Directory.Exists(Path.Combine(Daemon.State, "ns", pod)), Is.False, "namespace pins left");
        Assert.That((await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items.Select(p => p.Id), Does.Not.Contain(pod));
    }
}
