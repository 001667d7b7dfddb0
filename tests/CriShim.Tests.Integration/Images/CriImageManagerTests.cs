using CriShim.Tests.Integration.Support;
using Runtime.V1;

namespace CriShim.Tests.Integration.Images;

/// <summary>The checks of critest v1.26 "Image Manager" (pkg/validate/image.go), replayed on the test images.</summary>
[TestFixture]
public sealed class CriImageManagerTests
{
    TestRegistry _registry = null!;
    DaemonProcess _daemon = null!;

    [OneTimeSetUp]
    public async Task StartDaemon() => (_registry, _daemon) = await ImageTestSupport.StartDaemonAsync();

    [OneTimeTearDown]
    public async Task StopDaemon() => await _daemon.DisposeAsync();

    string Ref(string name) => $"{_registry.Host}/crishim-test/{name}";

    /// <summary>critest's removeImage: status, then remove by the ID if there is one.</summary>
    async Task RemoveByStatusAsync(string name)
    {
        if (await _daemon.StatusAsync(name) is { } image) await _daemon.RemoveAsync(image.Id);
    }

    async Task PullCheckRemoveAsync(string name, Action<Image> check)
    {
        await RemoveByStatusAsync(name);
        await _daemon.PullAsync(name);
        var status = await _daemon.StatusAsync(name);
        Assert.That(status, Is.Not.Null);
        Assert.That(status!.Id, Does.Match("^sha256:[0-9a-f]{64}$"));
        Assert.That(status.Size, Is.GreaterThan(0UL));
        check(status);
        await RemoveByStatusAsync(name);
        Assert.That(await _daemon.StatusAsync(name), Is.Null);
    }

    [Test]
    public async Task PublicImageWithTag_IsPulledAndRemoved() =>
        await PullCheckRemoveAsync(Ref("image-1:latest"), s => Assert.That(s.RepoTags, Is.EqualTo(new[] { Ref("image-1:latest") })));

    [Test]
    public async Task PublicImageWithoutTag_GetsLatest() =>
        await PullCheckRemoveAsync(Ref("image-2"), s => Assert.That(s.RepoTags, Is.EqualTo(new[] { Ref("image-2:latest") })));

    [Test]
    public async Task PublicImageWithDigest_HasOnlyThatRepoDigest()
    {
        await _daemon.PullAsync(Ref("image-3:latest"));
        var digest = (await _daemon.StatusAsync(Ref("image-3:latest")))!.RepoDigests.Single();
        await RemoveByStatusAsync(Ref("image-3:latest"));

        await PullCheckRemoveAsync(digest, s =>
        {
            Assert.That(s.RepoTags, Is.Empty);
            Assert.That(s.RepoDigests, Is.EqualTo(new[] { digest }));
        });
    }

    [Test]
    public async Task ImageStatus_SupportsAllKindsOfReferences()
    {
        var name = Ref("sibling:latest");
        await RemoveByStatusAsync(name);
        await _daemon.PullAsync(name);

        var status = await _daemon.StatusAsync(name);
        Assert.That(await _daemon.StatusAsync(status!.Id), Is.EqualTo(status));
        foreach (var tag in status.RepoTags) Assert.That(await _daemon.StatusAsync(tag), Is.EqualTo(status), tag);
        foreach (var digest in status.RepoDigests) Assert.That(await _daemon.StatusAsync(digest), Is.EqualTo(status), digest);

        await RemoveByStatusAsync(name);
        Assert.That(await _daemon.StatusAsync(name), Is.Null);
    }

    [TestCase("user-uid", 1002L, "")]
    [TestCase("user-username", 0L, "www-data")]
    [TestCase("user-uid-group", 1003L, "")]
    [TestCase("user-username-group", 0L, "www-data")]
    public async Task ImageStatus_ReportsUidOrUsernameOfTheImageUser(string image, long uid, string username)
    {
        var name = Ref(image + ":latest");
        await _daemon.PullAsync(name);
        try
        {
            var status = await _daemon.StatusAsync(name);
            Assert.That(status!.Uid?.Value ?? 0, Is.EqualTo(uid));
            Assert.That(status.Username, Is.EqualTo(username));
        }
        finally { await RemoveByStatusAsync(name); }
    }

    [Test]
    public async Task ListImages_WithThreeImages_ShowsEachWithItsOneTag()
    {
        var names = new[] { Ref("image-1:latest"), Ref("image-2:latest"), Ref("image-3:latest") };
        foreach (var n in names) await RemoveByStatusAsync(n);
        var ids = new List<string>();
        foreach (var n in names) ids.Add(await _daemon.PullAsync(n));
        try
        {
            Assert.That(ids.Distinct().Count(), Is.EqualTo(3));
            var images = await _daemon.ListAsync();
            for (var i = 0; i < 3; i++)
                Assert.That(images.Single(img => img.Id == ids[i]).RepoTags, Is.EqualTo(new[] { names[i] }));
        }
        finally { foreach (var n in names) await RemoveByStatusAsync(n); }
    }

    [Test]
    public async Task ListImages_WithThreeTagsOfOneImage_ShowsOneImageWithThreeTags()
    {
        var names = new[] { Ref("tags:1"), Ref("tags:2"), Ref("tags:3") };
        foreach (var n in names) await RemoveByStatusAsync(n);
        var ids = new List<string>();
        foreach (var n in names) ids.Add(await _daemon.PullAsync(n));
        try
        {
            Assert.That(ids.Distinct().Count(), Is.EqualTo(1));
            var image = (await _daemon.ListAsync()).Single(img => img.Id == ids[0]);
            Assert.That(image.RepoTags.Where(t => t.Contains("/crishim-test/tags:")).Order(), Is.EqualTo(names));
        }
        finally { foreach (var n in names) await RemoveByStatusAsync(n); }
    }
}
