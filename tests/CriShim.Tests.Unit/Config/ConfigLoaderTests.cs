using CriShim.Config;

namespace CriShim.Tests.Unit.Config;

public class ConfigLoaderTests
{
    [Test]
    public void Registry_mirror_hosts_with_a_port_keep_their_whole_name_and_endpoints_in_order()
    {
        var file = Path.Combine(Path.GetTempPath(), $"crishim-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """
            { "registry": { "mirrors": { "docker.io": ["http://localhost:5000", "https://mirror.example"],
                                         "localhost:5001": ["http://127.0.0.1:5002"] },
                            "insecure": ["localhost:5000"] } }
            """);
        try
        {
            var registry = ConfigLoader.Load(["--config", file]).Registry;
            Assert.That(registry.Mirrors.Keys, Is.EquivalentTo(new[] { "docker.io", "localhost:5001" }));
            Assert.That(registry.Mirrors["docker.io"], Is.EqualTo(new[] { "http://localhost:5000", "https://mirror.example" }));
            Assert.That(registry.Mirrors["LOCALHOST:5001"], Is.EqualTo(new[] { "http://127.0.0.1:5002" }), "hosts compare without case");
            Assert.That(registry.Insecure, Is.EqualTo(new[] { "localhost:5000" }));
        }
        finally { File.Delete(file); }
    }

    [Test]
    public void A_mirror_entry_that_is_not_a_list_is_refused_naming_it()
    {
        var file = Path.Combine(Path.GetTempPath(), $"crishim-config-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, """{ "registry": { "mirrors": { "docker.io": "http://localhost:5000" } } }""");
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => ConfigLoader.Load(["--config", file]));
            Assert.That(e!.Message, Does.Contain("registry.mirrors.docker.io"));
        }
        finally { File.Delete(file); }
    }
}
