using System.Text;
using CriShim.Stores;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Unit.Stores;

/// <summary>Records persist atomically and survive a reload; unreadable ones are set aside, never fatal; the container store indexes by pod.</summary>
public sealed class RecordStoreTests
{
    string _dir = null!;

    [SetUp]
    public void Create() => _dir = Path.Combine("/tmp", $"crishim-records-{Guid.NewGuid():N}");

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    PodStore Open() => new(_dir, NullLogger<PodStore>.Instance);

    static PodRecord Pod(string id) => new()
    {
        Id = id, Name = "p", Namespace = "ns", Uid = "u", RuntimeHandler = "runc", PodDir = "/run/p/" + id,
        Config = Google.Protobuf.MessageExtensions.ToByteArray(new global::Runtime.V1.PodSandboxConfig { Hostname = "h" }),
        Complete = true,
    };

    [Test]
    public async Task Ordered_ListsRecordsOldestFirst_AndFollowsEverySaveUpdateAndDelete()
    {
        var store = Open();
        await store.SaveAsync(Pod("b") with { CreatedAt = DateTimeOffset.UnixEpoch.AddSeconds(2) });
        await store.SaveAsync(Pod("a") with { CreatedAt = DateTimeOffset.UnixEpoch.AddSeconds(1) });
        Assert.That(store.Ordered.Select(p => p.Id), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(store.Ordered, Is.SameAs(store.Ordered), "no change, no new snapshot");

        await store.SaveAsync(Pod("c") with { CreatedAt = DateTimeOffset.UnixEpoch });
        Assert.That(store.Ordered.Select(p => p.Id), Is.EqualTo(new[] { "c", "a", "b" }));

        await store.UpdateAsync("a", p => p with { State = PodState.Ready });
        Assert.That(store.Ordered.Single(p => p.Id == "a").State, Is.EqualTo(PodState.Ready));

        await store.DeleteAsync("c");
        Assert.That(store.Ordered.Select(p => p.Id), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(Open().Ordered.Select(p => p.Id), Is.EqualTo(new[] { "a", "b" }), "a reload orders the same");
    }

    [Test]
    public async Task SavedUpdatedAndDeletedRecords_AreWhatAReloadSees()
    {
        var store = Open();
        await store.SaveAsync(Pod("a"));
        await store.SaveAsync(Pod("b"));
        await store.UpdateAsync("a", p => p with { State = PodState.Ready });
        await store.DeleteAsync("b");

        var reloaded = Open();
        Assert.That(reloaded.All.Select(p => (p.Id, p.State)), Is.EquivalentTo(new[] { ("a", PodState.Ready) }));
        Assert.That(reloaded.Get("a")!.ParsedConfig.Hostname, Is.EqualTo("h"));
        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "a.json" }), "no temp file left");
    }

    [Test]
    public async Task UnreadableRecords_AreSetAsideAtLoad_AndTheOthersLoad()
    {
        await Open().SaveAsync(Pod("good"));
        var json = await File.ReadAllTextAsync(Path.Combine(_dir, "good.json"));
        await File.WriteAllTextAsync(Path.Combine(_dir, "truncated.json"), json[..(json.Length / 2)]);
        await File.WriteAllTextAsync(Path.Combine(_dir, "null.json"), "null");
        // Valid JSON whose stored CRI config is not protobuf: would fail every List later if it were loaded.
        var badConfig = json.Replace("\"id\":\"good\"", "\"id\":\"badconfig\"")
            .Replace(Convert.ToBase64String(Pod("x").Config), Convert.ToBase64String(Encoding.ASCII.GetBytes("\xff\xff\xff\xff")));
        await File.WriteAllTextAsync(Path.Combine(_dir, "badconfig.json"), badConfig);
        await File.WriteAllTextAsync(Path.Combine(_dir, ".good.json.1234.tmp"), "half");

        var store = Open();
        Assert.That(store.All.Select(p => p.Id), Is.EquivalentTo(new[] { "good" }));
        Assert.That(Directory.GetFiles(Path.Combine(_dir, "corrupt")).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { "truncated.json", "null.json", "badconfig.json" }), "kept for a look, out of the way of the next load");
        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "good.json" }));
    }

    [Test]
    public async Task Find_TakesAnExactIdOrAUniquePrefix_AndNothingAmbiguous()
    {
        var store = Open();
        foreach (var id in new[] { "abc123", "abd456", "ab" }) await store.SaveAsync(Pod(id));

        Assert.That(store.Find("abc")?.Id, Is.EqualTo("abc123"));
        Assert.That(store.Find("abd456")?.Id, Is.EqualTo("abd456"));
        Assert.That(store.Find("ab")?.Id, Is.EqualTo("ab"), "an exact ID wins over the IDs it prefixes");
        Assert.That(store.Find("a"), Is.Null, "ambiguous");
        Assert.That(store.Find("x"), Is.Null);
        Assert.That(store.Find(""), Is.Null, "an empty prefix matches nothing, not everything");
        Assert.That(store.Get("abc"), Is.Null, "Get takes only exact IDs");
    }

    [Test]
    public async Task UpdatingAnUnknownId_ReturnsNull_AndWritesNothing()
    {
        var store = Open();
        var calls = 0;
        Assert.That(await store.UpdateAsync("gone", p => { calls++; return p; }), Is.Null);
        Assert.That(calls, Is.Zero);
        Assert.That(Directory.GetFiles(_dir), Is.Empty);
    }

    [Test]
    public async Task AChangeThatReturnsTheSameRecord_IsNotWritten()
    {
        var store = Open();
        await store.SaveAsync(Pod("a"));
        var path = Path.Combine(_dir, "a.json");
        var written = File.GetLastWriteTimeUtc(path);
        var ordered = store.Ordered;
        File.SetLastWriteTimeUtc(path, written.AddHours(-1));

        var result = await store.UpdateAsync("a", p => p);

        Assert.That(result, Is.SameAs(store.Get("a")));
        Assert.That(File.GetLastWriteTimeUtc(path), Is.EqualTo(written.AddHours(-1)), "the file was not rewritten");
        Assert.That(store.Ordered, Is.SameAs(ordered), "nothing changed, so the snapshot stands");
    }

    [Test]
    public async Task AChangeThatThrows_LeavesTheRecordAsItWas_AndTheStoreUsable()
    {
        var store = Open();
        await store.SaveAsync(Pod("a"));
        Assert.ThrowsAsync<InvalidOperationException>(() => store.UpdateAsync("a", _ => throw new InvalidOperationException("refused")));

        Assert.That(store.Get("a")!.State, Is.EqualTo(Pod("a").State));
        Assert.That(await store.UpdateAsync("a", p => p with { State = PodState.Ready }), Has.Property(nameof(PodRecord.State)).EqualTo(PodState.Ready),
            "the store's lock was released");
        Assert.That(Open().Get("a")!.State, Is.EqualTo(PodState.Ready));
    }

    [Test]
    public async Task DeletingAnUnknownId_IsHarmless()
    {
        var store = Open();
        await store.SaveAsync(Pod("a"));
        await store.DeleteAsync("b");
        Assert.That(Open().All.Select(p => p.Id), Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public async Task ConcurrentUpdates_AreAppliedOneAtATime()
    {
        var store = Open();
        await store.SaveAsync(Pod("a") with { Attempt = 0 });
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => store.UpdateAsync("a", p => p with { Attempt = p.Attempt + 1 }))));
        Assert.That(Open().Get("a")!.Attempt, Is.EqualTo(50));
    }

    static ContainerRecord Container(string id, string podId, int createdSeconds) => new()
    {
        Id = id, PodId = podId, Name = "c-" + id, ImageRef = "busybox", ImageId = "sha256:1", BundleDir = "/b/" + id, RootfsDir = "/r/" + id,
        Config = Google.Protobuf.MessageExtensions.ToByteArray(new global::Runtime.V1.ContainerConfig()),
        CreatedAt = DateTimeOffset.UnixEpoch.AddSeconds(createdSeconds),
    };

    [Test]
    public async Task ContainersInPod_FollowEverySaveUpdateAndDelete_OldestFirst()
    {
        var store = new ContainerStore(Path.Combine(_dir, "containers"), new PodStore(Path.Combine(_dir, "pods"), NullLogger<PodStore>.Instance), NullLogger<ContainerStore>.Instance); // the per-pod index
        await store.SaveAsync(Container("b", "p1", 2));
        await store.SaveAsync(Container("a", "p1", 1));
        await store.SaveAsync(Container("x", "p2", 0));
        Assert.That(store.InPod("p1").Select(c => c.Id), Is.EqualTo(new[] { "a", "b" }), "oldest first");
        Assert.That(store.InPod("p2").Select(c => c.Id), Is.EqualTo(new[] { "x" }));
        Assert.That(store.InPod("p3"), Is.Empty);
        Assert.That(store.InPod("p"), Is.Empty, "a pod ID, not a prefix");

        await store.UpdateAsync("a", c => c with { State = ContainerRunState.Running });
        Assert.That(store.InPod("p1").Single(c => c.Id == "a").State, Is.EqualTo(ContainerRunState.Running), "the updated record");

        await store.SaveAsync(Container("c", "p2", 3));
        Assert.That(store.InPod("p2").Select(c => c.Id), Is.EqualTo(new[] { "x", "c" }));

        await store.DeleteAsync("x");
        Assert.That(store.InPod("p2").Select(c => c.Id), Is.EqualTo(new[] { "c" }));
        Assert.That(store.InPod("p1").Select(c => c.Id), Is.EqualTo(new[] { "a", "b" }));
    }
}
