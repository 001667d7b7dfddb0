using System.Text.Json.Nodes;
using CriShim.Tests.Integration.Support;
using Runtime.V1;

namespace CriShim.Tests.Integration.Lifecycle;

/// <summary>kill -9 of the daemon with real containers: they keep running, exits that happen meanwhile are seen; a record
/// that cannot be recovered never stops the daemon from serving, and what no record owns is swept.</summary>
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

    [Test]
    public async Task AfterRestart_WithTheRuntimeBinaryGone_TheDaemonServes_TheContainerIsUnknownWithTheReason_AndRecoversOnceItIsBack()
    {
        var binDir = TestPaths.NewTempDir("runc-copy");
        var runc = Path.Combine(binDir, "runc");
        File.Copy(Which("runc"), runc);
        File.SetUnixFileMode(runc, (UnixFileMode)0b111_101_101);
        Daemon.Config["Runtimes"] = new JsonObject { ["runc"] = new JsonObject { ["Path"] = runc } };
        try
        {
            await Daemon.RestartAsync();
            var (pod, config) = await RunPodAsync(Unique("norunc"));
            var running = await StartAsync(pod, config, ContainerConfig("sleeper", "sleep", "1000"));

            Daemon.Kill();
            File.Move(runc, runc + ".gone"); // an upgrade took the binary away while the daemon was down
            await Daemon.RestartAsync();

            Assert.That((await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items.Select(p => p.Id), Does.Contain(pod));
            var status = await StatusAsync(running);
            Assert.That((status.State, status.Reason), Is.EqualTo((ContainerState.ContainerUnknown, "RecoveryFailed")));
            Assert.That(status.Message, Does.Contain(runc));
            var ready = (await Runtime.StatusAsync(new StatusRequest())).Status.Conditions.Single(c => c.Type == "RuntimeReady");
            Assert.That((ready.Status, ready.Reason), Is.EqualTo((false, "RuntimeNotReady")));
            Assert.That(ready.Message, Does.Contain(runc));

            File.Move(runc + ".gone", runc);
            await Daemon.RestartAsync();
            Assert.That((await StatusAsync(running)).State, Is.EqualTo(ContainerState.ContainerRunning), "the container kept running under conmon");
            Assert.That((await Runtime.StatusAsync(new StatusRequest())).Status.Conditions.Single(c => c.Type == "RuntimeReady").Status, Is.True);
            await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod });
        }
        finally
        {
            if (File.Exists(runc + ".gone")) File.Move(runc + ".gone", runc);
            Daemon.Config.Remove("Runtimes");
            await Daemon.RestartAsync();
            Directory.Delete(binDir, true);
        }
    }

    [Test]
    public async Task AtStart_WithConmonMissing_TheDaemonServes_AndStatusSaysTheRuntimeIsNotReady()
    {
        var (pod, _) = await RunPodAsync(Unique("noconmon"));
        const string conmon = "/nonexistent/bin/conmon";
        Daemon.Config["Conmon"] = conmon;
        try
        {
            await Daemon.RestartAsync();
            var ready = (await Runtime.StatusAsync(new StatusRequest())).Status.Conditions.Single(c => c.Type == "RuntimeReady");
            Assert.That((ready.Status, ready.Reason), Is.EqualTo((false, "RuntimeNotReady")));
            Assert.That(ready.Message, Does.Contain(conmon));
            Assert.That((await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items.Select(p => p.Id), Does.Contain(pod));
        }
        finally
        {
            Daemon.Config.Remove("Conmon");
            await Daemon.RestartAsync();
        }
        Assert.That((await Runtime.StatusAsync(new StatusRequest())).Status.Conditions.Single(c => c.Type == "RuntimeReady").Status, Is.True);
    }

    [Test]
    public async Task AfterRestart_ACorruptContainerRecordAndAMissingPodRecord_AreLogged_AndWhatTheyOwnedIsSwept()
    {
        var (kept, keptConfig) = await RunPodAsync(Unique("kept"));
        var corrupt = await StartAsync(kept, keptConfig, ContainerConfig("corrupt", "sleep", "1000"));
        var (orphan, _) = await RunPodAsync(Unique("orphan"));
        Assert.That(Leftovers.ConmonsMentioning(corrupt), Is.Not.Empty);
        Assert.That(Directory.Exists(Path.Combine(Daemon.State, "ns", orphan)), Is.True);

        Daemon.Kill();
        var record = Path.Combine(Daemon.Root, "containers", corrupt + ".json");
        var json = await File.ReadAllBytesAsync(record);
        await File.WriteAllBytesAsync(record, json[..(json.Length / 2)]); // a torn write, a disk error
        File.Delete(Path.Combine(Daemon.Root, "pods", orphan + ".json"));
        await Daemon.RestartAsync();

        Assert.That((await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items.Select(p => p.Id), Does.Contain(kept).And.Not.Contain(orphan));
        Assert.That((await Runtime.ListContainersAsync(new ListContainersRequest())).Containers.Select(c => c.Id), Does.Not.Contain(corrupt));
        Assert.That(File.Exists(Path.Combine(Daemon.Root, "containers", "corrupt", corrupt + ".json")), Is.True, "the unreadable record is set aside");
        Assert.That(await File.ReadAllTextAsync(Daemon.LogPath), Does.Contain("unreadable record").And.Contain(corrupt));

        var left = Leftovers.Of(Daemon);
        Assert.That(left.Files.Where(f => f.Contains(corrupt) || f.Contains(orphan)), Is.Empty, "bundle, writable layer, monitor state, pod dir, pins, CNI result");
        Assert.That(left.Mounts.Where(m => m.Contains(corrupt) || m.Contains(orphan)), Is.Empty, "rootfs, shm and namespace mounts");
        Assert.That(Leftovers.ConmonsMentioning(corrupt), Is.Empty, "the orphaned container's conmon");
    }

    [Test]
    public async Task ASecondDaemonOnTheSameRootAndState_IsRefusedAtStart_AndTheFirstKeepsServingOnItsSocket()
    {
        var (exitCode, output) = await Daemon.RunSecondInstanceAsync(TimeSpan.FromSeconds(30));

        Assert.That(exitCode, Is.Not.EqualTo(0).And.Not.EqualTo(-1), $"the second daemon must exit at once; it said: {output}");
        Assert.That(output, Does.Contain("already running").And.Contain(Daemon.Root).And.Contain($"pid {Daemon.Pid}"));
        Assert.That(File.Exists(Daemon.SocketPath), Is.True, "the live socket is never unlinked");
        using var channel = Daemon.OpenChannel();
        var version = await new RuntimeService.RuntimeServiceClient(channel).VersionAsync(new VersionRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
        Assert.That(version.RuntimeName, Is.EqualTo("crishim"));
    }

    [Test]
    public async Task ATeardownStepThatFails_KeepsThePodForTheRetry_WhichRemovesItOnceTheCauseIsGone()
    {
        var (pod, config) = await RunPodAsync(Unique("stuck"));
        await StartAsync(pod, config, ContainerConfig("c", "sleep", "1000"));
        var podDir = Path.Combine(Daemon.State, "pods", pod);
        var pinned = Directory.GetFiles(podDir).First();
        await ProcessRunner.RunAsync("chattr", ["+i", pinned]);
        try
        {
            var e = Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod }))!;
            Assert.That(e.Status.Detail, Does.Contain("pod dir").And.Contain("retry"));
            var listed = (await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items.SingleOrDefault(p => p.Id == pod);
            Assert.That(listed?.State, Is.EqualTo(PodSandboxState.SandboxNotready), "the record is kept so the client's retry can finish");
            Assert.That(File.Exists(Path.Combine(Daemon.Root, "pods", pod + ".json")), Is.True);
        }
        finally { await ProcessRunner.RunAsync("chattr", ["-i", pinned]); }

        await Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod });
        Assert.That((await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items.Select(p => p.Id), Does.Not.Contain(pod));
        Assert.That(Directory.Exists(podDir), Is.False);
        Assert.That(File.Exists(Path.Combine(Daemon.Root, "pods", pod + ".json")), Is.False);
    }

    static string Which(string binary) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/usr/bin"])
            .Select(d => Path.Combine(d, binary)).First(File.Exists);
}
