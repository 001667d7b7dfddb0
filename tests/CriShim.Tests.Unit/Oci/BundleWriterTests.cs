using CriShim.Oci.Specs;
using CriShim.Oci.Specs.Model;

namespace CriShim.Tests.Unit.Oci;

public class BundleWriterTests
{
    [Test]
    public async Task The_config_is_written_and_reads_back_equal_with_no_temp_files_left()
    {
        using var dir = new TempDir();
        var spec = SpecBuilder.Build([SpecOptions.WithProcessArgs(["sh"]), SpecOptions.WithRoot("/r", true), SpecOptions.WithDefaultMounts()]);
        var bundle = dir.Combine("bundle");
        var path = await BundleWriter.WriteAsync(bundle, spec);
        await BundleWriter.WriteAsync(bundle, spec with { Hostname = "again" });
        var read = await BundleWriter.ReadAsync(bundle);
        Assert.That(path, Is.EqualTo(Path.Combine(bundle, "config.json")));
        Assert.That(read.Hostname, Is.EqualTo("again"));
        Assert.That(read.Process!.Args, Is.EqualTo(new[] { "sh" }));
        Assert.That(read.Mounts!.Select(m => m.Destination), Is.EqualTo(spec.Mounts!.Select(m => m.Destination)));
        Assert.That(Directory.GetFiles(bundle).Select(Path.GetFileName), Is.EqualTo(new[] { "config.json" }));
    }

    [Test]
    public async Task The_config_holding_the_environment_is_readable_by_its_owner_only()
    {
        using var dir = new TempDir();
        var spec = SpecBuilder.Build([SpecOptions.WithProcessArgs(["sh"]), SpecOptions.WithRoot("/r", true)]);
        var path = await BundleWriter.WriteAsync(dir.Combine("bundle"), spec);
        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public void Id_mappings_use_the_spec_spelling()
    {
        var json = BundleWriter.Serialize(Spec.Empty with { Linux = new Linux { UidMappings = [new IdMapping(0, 100000, 65536)] } });
        Assert.That(json, Does.Contain("\"containerID\"").And.Contain("\"hostID\"").And.Contain("\"uidMappings\""));
    }
}
