using CriShim.Oci.Specs;

namespace CriShim.Tests.Unit.Oci;

public class UserResolverTests
{
    private TempDir _root = null!;

    [SetUp]
    public void SetUp()
    {
        _root = new TempDir();
        _root.Write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n# comment\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n");
        _root.Write("etc/group", "root:x:0:\nwheel:x:10:root,app\napp:x:1000:\naudio:x:29:app\nstaff:x:50:\n");
    }

    [TearDown]
    public void TearDown() => _root.Dispose();

    [Test]
    public void Empty_user_is_root_with_root_home_and_its_groups()
    {
        var user = UserResolver.Resolve(_root.Path, "");
        Assert.That(user, Has.Property("Uid").EqualTo(0u).And.Property("Gid").EqualTo(0u).And.Property("Home").EqualTo("/root"));
        Assert.That(user.AdditionalGids, Is.EqualTo(new uint[] { 0, 10 }));
    }

    [Test]
    public void A_name_resolves_to_its_uid_gid_home_and_member_groups()
    {
        var user = UserResolver.Resolve(_root.Path, "app");
        Assert.That((user.Uid, user.Gid, user.Home), Is.EqualTo((1000u, 1000u, "/home/app")));
        Assert.That(user.AdditionalGids, Is.EqualTo(new uint[] { 1000, 10, 29 }));
    }

    [Test]
    public void A_uid_in_passwd_takes_the_primary_group_from_it()
    {
        var user = UserResolver.Resolve(_root.Path, "1000");
        Assert.That((user.Uid, user.Gid, user.Name), Is.EqualTo((1000u, 1000u, "app")));
    }

    [Test]
    public void A_numeric_user_missing_from_passwd_gets_gid_0_and_home_slash()
    {
        var user = UserResolver.Resolve(_root.Path, "4242");
        Assert.That((user.Uid, user.Gid, user.Home), Is.EqualTo((4242u, 0u, "/")));
        Assert.That(user.AdditionalGids, Is.EqualTo(new uint[] { 0 }));
    }

    [Test]
    public void A_group_by_name_or_number_overrides_the_primary_group()
    {
        Assert.That(UserResolver.Resolve(_root.Path, "app:staff").Gid, Is.EqualTo(50u));
        Assert.That(UserResolver.Resolve(_root.Path, "app:77").Gid, Is.EqualTo(77u));
    }

    [Test]
    public void Unknown_names_are_refused()
    {
        Assert.That(() => UserResolver.Resolve(_root.Path, "ghost"), Throws.TypeOf<SpecException>().With.Message.Contains("ghost"));
        Assert.That(() => UserResolver.Resolve(_root.Path, "app:ghosts"), Throws.TypeOf<SpecException>().With.Message.Contains("ghosts"));
    }

    [Test]
    public void Supplemental_groups_are_appended_once()
    {
        var user = UserResolver.Resolve(_root.Path, "app", [29, 3000]);
        Assert.That(user.AdditionalGids, Is.EqualTo(new uint[] { 1000, 10, 29, 3000 }));
    }

    [Test]
    public void A_rootfs_without_etc_files_still_resolves_numeric_users()
    {
        using var empty = new TempDir();
        Assert.That(UserResolver.Resolve(empty.Path, "0").Home, Is.EqualTo("/"));
        Assert.Throws<SpecException>(() => UserResolver.Resolve(empty.Path, "root"));
    }

    [Test]
    public void An_absolute_symlinked_passwd_is_resolved_inside_the_rootfs()
    {
        using var other = new TempDir();
        other.Write("real/passwd", "svc:x:700:701::/srv:/bin/sh\n");
        Directory.CreateDirectory(other.Combine("etc"));
        File.CreateSymbolicLink(other.Combine("etc", "passwd"), "/real/passwd");
        Assert.That(UserResolver.Resolve(other.Path, "svc").Uid, Is.EqualTo(700u));
    }

    [TestCase(null, null, null, "", "")]
    [TestCase(null, null, null, "app", "app")]
    [TestCase(1000L, null, null, "app", "1000")]
    [TestCase(null, "app", null, "nobody", "app")]
    [TestCase(1000L, null, 50L, "", "1000:50")]
    [TestCase(null, null, 50L, "app:audio", "app:50")]
    [TestCase(null, null, 50L, "", "0:50")]
    public void The_user_string_prefers_cri_fields_over_the_image(long? uid, string? name, long? gid, string image, string expected)
    {
        Assert.That(UserResolver.UserString(uid, name, gid, image), Is.EqualTo(expected));
    }
}
