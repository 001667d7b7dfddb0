using CriShim.Oci.Runc;
using CriShim.Tests.Integration.Support;

namespace CriShim.Tests.Integration.Runc;

[TestFixture, NonParallelizable]
public sealed class RuncClientTests
{
    private TempDir _dir = null!;
    private RuncClient _runc = null!;
    private readonly List<string> _ids = [];

    [SetUp]
    public void SetUp()
    {
        if (!TestBundle.BusyboxAvailable) Assert.Ignore("busybox-static is not installed");
        _dir = new TempDir();
        _runc = new RuncClient("runc", Path.Combine(_dir.Path, "runc"));
    }

    [OneTimeTearDown]
    public void RemoveCgroupParents() => TestBundle.RemoveTestCgroupParents();

    [TearDown]
    public async Task TearDown()
    {
        foreach (var id in _ids) await _runc.DeleteAsync(id, force: true);
        _dir.Dispose();
    }

    private async Task<string> RunningContainerAsync(params string[] args)
    {
        var id = "rc-" + Guid.NewGuid().ToString("N")[..8];
        _ids.Add(id);
        var bundle = TestBundle.Create(_dir.Sub(id), id, args.Length > 0 ? args : ["sleep", "1000"]);
        await _runc.CreateAsync(id, bundle);
        await _runc.StartAsync(id);
        return id;
    }

    [Test]
    public async Task A_created_and_started_container_is_reported_running_with_its_pid()
    {
        var id = await RunningContainerAsync();
        var state = await _runc.StateAsync(id);
        Assert.That(state, Is.Not.Null);
        Assert.That(state!.Status, Is.EqualTo("running"));
        Assert.That(state.Pid, Is.GreaterThan(0));
        Assert.That(state.Created, Is.GreaterThan(DateTimeOffset.UtcNow.AddMinutes(-5)));
        var listed = await _runc.ListAsync();
        Assert.That(listed.Select(s => s.Id), Does.Contain(id));
    }

    [Test]
    public async Task Deleting_a_running_container_with_force_removes_it_and_its_cgroup()
    {
        var id = await RunningContainerAsync();
        Assert.That(Directory.Exists(TestBundle.PidsCgroupDir(id)), Is.True, "cgroup exists while running");
        await _runc.DeleteAsync(id, force: true);
        Assert.That(await _runc.StateAsync(id), Is.Null);
        Assert.That(Directory.Exists(TestBundle.PidsCgroupDir(id)), Is.False, "cgroup removed");
    }

    [Test]
    public async Task Deleting_an_unknown_container_succeeds_and_state_is_null()
    {
        await _runc.DeleteAsync("no-such-container");
        Assert.That(await _runc.StateAsync("no-such-container"), Is.Null);
    }

    [Test]
    public void Starting_an_unknown_container_fails_with_runc_message()
    {
        var e = Assert.ThrowsAsync<RuncException>(() => _runc.StartAsync("no-such-container"));
        Assert.That(e!.IsNotFound, Is.True, e.Message);
    }

    [Test]
    public async Task Kill_stops_the_init_process()
    {
        var id = await RunningContainerAsync();
        await _runc.KillAsync(id, Signals.SIGKILL);
        RuncState? state = null;
        for (var i = 0; i < 100; i++)
        {
            state = await _runc.StateAsync(id);
            if (state?.IsStopped == true) break;
            await Task.Delay(50);
        }
        Assert.That(state?.Status, Is.EqualTo("stopped"));
    }
}
