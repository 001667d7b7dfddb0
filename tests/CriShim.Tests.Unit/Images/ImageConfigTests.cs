using System.Text.Json;
using CriShim.Images;

namespace CriShim.Tests.Unit.Images;

public sealed class ImageConfigTests
{
    [TestCase("", null, "")]
    [TestCase("1002", 1002L, "")]
    [TestCase("1003:1004", 1003L, "")]
    [TestCase("www-data", null, "www-data")]
    [TestCase("www-data:1004", null, "www-data")]
    public void User_SplitsIntoUidOrUsernameLikeTheCriImage(string user, long? uid, string username)
    {
        var config = new ImageConfig { User = user };
        Assert.That((config.Uid, config.Username), Is.EqualTo((uid, username)));
    }

    [Test]
    public void From_ReadsTheOciConfigFields()
    {
        const string json = """
            {"architecture":"amd64","os":"linux","config":{"User":"1000","Env":["PATH=/bin"],"Entrypoint":["/entry"],"Cmd":["a","b"],
             "WorkingDir":"/w","StopSignal":"SIGQUIT","ExposedPorts":{"80/tcp":{}},"Volumes":{"/data":{}},"Labels":{"k":"v"}},
             "rootfs":{"type":"layers","diff_ids":["sha256:aaaa"]}}
            """;
        var file = JsonSerializer.Deserialize<ImageConfigFile>(json, JsonOptions.Compact)!;

        var config = ImageConfig.From(file);

        Assert.That(config.Entrypoint, Is.EqualTo(new[] { "/entry" }));
        Assert.That(config.Cmd, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(config.Env, Is.EqualTo(new[] { "PATH=/bin" }));
        Assert.That((config.WorkingDir, config.User, config.StopSignal), Is.EqualTo(("/w", "1000", "SIGQUIT")));
        Assert.That(config.ExposedPorts, Is.EqualTo(new[] { "80/tcp" }));
        Assert.That(config.Volumes, Is.EqualTo(new[] { "/data" }));
        Assert.That(config.Labels["k"], Is.EqualTo("v"));
        Assert.That(file.RootFs!.DiffIds, Is.EqualTo(new[] { "sha256:aaaa" }));
    }
}
