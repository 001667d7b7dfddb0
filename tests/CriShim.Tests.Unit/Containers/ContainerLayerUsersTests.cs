using CriShim.Containers;
using CriShim.Stores;
using CriShim.Tests.Unit.Oci;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Unit.Containers;

public class ContainerLayerUsersTests
{
    static ContainerRecord Container(string id, IReadOnlyList<ImageVolumeRecord> volumes) => new()
    {
        Id = id, PodId = "pod", Name = "name-" + id, Config = [], ImageRef = "busybox", ImageId = "sha256:rootfs",
        BundleDir = "/b/" + id, RootfsDir = "/b/" + id + "/rootfs", LayerDirs = ["/layers/base"], ImageVolumes = volumes,
    };

    [Test]
    public async Task An_image_mounted_as_a_volume_is_in_use_by_the_container_naming_it()
    {
        using var dir = new TempDir();
        var store = new ContainerStore(Path.Combine(dir.Path, "containers"), new PodStore(Path.Combine(dir.Path, "pods"), NullLogger<PodStore>.Instance), NullLogger<ContainerStore>.Instance);
        await store.SaveAsync(Container("c1", [new ImageVolumeRecord("/img", "sha256:vol", "/b/c1/volumes/0", ["/layers/vol-a", "/layers/vol-b"])]), CancellationToken.None);
        await store.SaveAsync(Container("c2", []), CancellationToken.None);
        var users = new ContainerLayerUsers(store);

        Assert.That(users.ImageUser("sha256:vol"), Does.Contain("\"c1\"").And.Contain("name-c1").And.Contain("volume"));
        Assert.That(users.ImageUser("sha256:rootfs"), Is.Null, "a rootfs image is not pinned by its containers");
        Assert.That(users.LayerDirsInUse(), Is.EquivalentTo(new[] { "/layers/base", "/layers/vol-a", "/layers/vol-b", "/layers/base" }));
    }
}
