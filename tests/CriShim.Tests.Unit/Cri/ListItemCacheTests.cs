using System.Runtime.CompilerServices;
using CriShim.Cri;
using CriShim.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Runtime.V1;

namespace CriShim.Tests.Unit.Cri;

/// <summary>List items are built once per record: the same record answers with the same item, a changed record with a
/// fresh one, and a removed record is neither listed nor kept alive by the cache.</summary>
public sealed class ListItemCacheTests
{
    string _dir = null!;

    [SetUp]
    public void Create() => _dir = Directory.CreateTempSubdirectory("crishim-list-items-").FullName;

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    static PodRecord Pod(string id, DateTimeOffset created) => new()
    {
        Id = id, Name = "p-" + id, Namespace = "ns", Uid = "u-" + id, RuntimeHandler = "runc", PodDir = "/run/p/" + id,
        Config = Google.Protobuf.MessageExtensions.ToByteArray(new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = "p-" + id, Namespace = "ns", Uid = "u-" + id },
            Labels = { ["app"] = id },
        }),
        Complete = true, State = PodState.Ready, CreatedAt = created,
    };

    static ContainerRecord Container(string id, string podId) => new()
    {
        Id = id, PodId = podId, Name = "c", ImageRef = "busybox", ImageId = "sha256:1", BundleDir = "/b/" + id, RootfsDir = "/r/" + id,
        Config = Google.Protobuf.MessageExtensions.ToByteArray(new ContainerConfig { Metadata = new ContainerMetadata { Name = "c" } }),
        Complete = true, State = ContainerRunState.Running,
    };

    (PodSandboxRpcs Handler, ContainerRpcs ContainerHandler, PodStore Pods, ContainerStore Containers) Build()
    {
        var pods = new PodStore(Path.Combine(_dir, "pods"), NullLogger<PodStore>.Instance);
        var containers = new ContainerStore(Path.Combine(_dir, "containers"), pods, NullLogger<ContainerStore>.Instance);
        var lookups = new StoreLookups(pods, containers);
        var listItems = new ListItemCache();
        // The list RPCs answer from the stores alone: the managers, runtime classes, cgroups and operation locks are never reached.
        var handler = new PodSandboxRpcs(null!, pods, containers, lookups, listItems);
        var containerHandler = new ContainerRpcs(null!, null!, null!, pods, containers, lookups, listItems, NullLogger<ContainerRpcs>.Instance);
        return (handler, containerHandler, pods, containers);
    }

    static async Task<IReadOnlyList<PodSandbox>> ListPods(PodSandboxRpcs handler) =>
        (await handler.ListPodSandbox(new ListPodSandboxRequest(), null!)).Items;

    [Test]
    public async Task AnUnchangedRecord_IsListedWithTheSameBuiltItem_OnEveryCall()
    {
        var (handler, _, pods, _) = Build();
        await pods.SaveAsync(Pod("a", DateTimeOffset.UnixEpoch));

        var first = (await ListPods(handler)).Single();
        var second = (await ListPods(handler)).Single();

        Assert.That(second, Is.SameAs(first));
        Assert.That(first.Labels["app"], Is.EqualTo("a"));
    }

    [Test]
    public async Task AChangedRecord_IsListedWithAFreshItem_ShowingTheChange()
    {
        var (handler, _, pods, _) = Build();
        await pods.SaveAsync(Pod("a", DateTimeOffset.UnixEpoch));
        var before = (await ListPods(handler)).Single();

        await pods.UpdateAsync("a", p => p with { State = PodState.NotReady });
        var after = (await ListPods(handler)).Single();

        Assert.That(after, Is.Not.SameAs(before));
        Assert.That(before.State, Is.EqualTo(PodSandboxState.SandboxReady), "the item already handed out is left as it was");
        Assert.That(after.State, Is.EqualTo(PodSandboxState.SandboxNotready));
    }

    [Test]
    public async Task ARemovedRecord_VanishesFromTheList()
    {
        var (handler, containerHandler, pods, containers) = Build();
        await pods.SaveAsync(Pod("a", DateTimeOffset.UnixEpoch));
        await pods.SaveAsync(Pod("b", DateTimeOffset.UnixEpoch.AddSeconds(1)));
        await containers.SaveAsync(Container("c1", "a"));
        await containers.SaveAsync(Container("c2", "b"));
        await ListPods(handler);
        await containerHandler.ListContainers(new ListContainersRequest(), null!);

        await pods.DeleteAsync("a");
        await containers.DeleteAsync("c1");

        Assert.That((await ListPods(handler)).Select(p => p.Id), Is.EqualTo(new[] { "b" }));
        Assert.That((await containerHandler.ListContainers(new ListContainersRequest(), null!)).Containers.Select(c => c.Id), Is.EqualTo(new[] { "c2" }));
    }

    [Test]
    public async Task PodsAreListedOldestFirst_AndFiltersKeepThatOrder()
    {
        var (handler, _, pods, _) = Build();
        await pods.SaveAsync(Pod("late", DateTimeOffset.UnixEpoch.AddSeconds(2)));
        await pods.SaveAsync(Pod("early", DateTimeOffset.UnixEpoch));
        await pods.SaveAsync(Pod("middle", DateTimeOffset.UnixEpoch.AddSeconds(1)));

        Assert.That((await ListPods(handler)).Select(p => p.Id), Is.EqualTo(new[] { "early", "middle", "late" }));
        var ready = await handler.ListPodSandbox(new ListPodSandboxRequest { Filter = new PodSandboxFilter { State = new PodSandboxStateValue { State = PodSandboxState.SandboxReady } } }, null!);
        Assert.That(ready.Items.Select(p => p.Id), Is.EqualTo(new[] { "early", "middle", "late" }));
    }

    [Test]
    public void TheCache_DoesNotKeepTheItemOfARecordNoOneHolds()
    {
        var cache = new ListItemCache();
        var item = BuildForUnreferencedRecord(cache);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.That(item.IsAlive, Is.False);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static WeakReference BuildForUnreferencedRecord(ListItemCache cache) => new(cache.For(Pod("gone", DateTimeOffset.UnixEpoch)));

    [Test]
    public void ContainerStatsAttributes_AreBuiltOncePerRecord_AndAfreshForAChangedOne()
    {
        var cache = new ListItemCache();
        var record = Container("c1", "a");

        var attributes = cache.AttributesOf(record);

        Assert.That(cache.AttributesOf(record), Is.SameAs(attributes));
        Assert.That(cache.AttributesOf(record with { State = ContainerRunState.Exited }), Is.Not.SameAs(attributes));
        Assert.That(attributes.Metadata.Name, Is.EqualTo("c"));
    }
}
