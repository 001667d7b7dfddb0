using CriShim.Oci.Cgroups;
using Microsoft.Extensions.DependencyInjection;

namespace CriShim.Tests.Unit.Cgroups;

/// <summary>The registrations the daemon uses (see the cgroups report) build every cgroup service.</summary>
public class CgroupServicesResolutionTests
{
    [Test]
    public async Task Every_cgroup_service_resolves_from_a_container_given_only_the_layout()
    {
        using var fs = FakeCgroupFs.V2();
        fs.Write("unified", "/kubepods/c1", "memory.current", "4096\n");
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(fs.Layout)
            .AddSingleton<CgroupStatsReader>()
            .AddSingleton<NetworkStatsReader>()
            .AddSingleton<FilesystemUsageCache>()
            .AddSingleton<CgroupUpdater>()
            .AddSingleton<CgroupCleaner>();
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        var stats = provider.GetRequiredService<CgroupStatsReader>().Read("/kubepods/c1");

        Assert.That(stats!.MemoryUsageBytes, Is.EqualTo(4096UL));
        fs.Write("unified", "/kubepods/c1", "memory.max", "max\n");
        provider.GetRequiredService<CgroupUpdater>().Apply("/kubepods/c1", new CgroupResources { MemoryLimitBytes = 1 << 20 });
        Assert.That(fs.Read("unified", "/kubepods/c1", "memory.max"), Is.EqualTo((1 << 20).ToString()), "the resolved updater writes through the layout");
        var empty = fs.Layout.Resolve("/kubepods/empty").Unified!;
        Directory.CreateDirectory(empty);
        var removed = await provider.GetRequiredService<CgroupCleaner>().RemoveAsync("/kubepods/empty");
        Assert.That((removed.Success, Directory.Exists(empty)), Is.EqualTo((true, false)), "the resolved cleaner removes through the layout");
    }
}
