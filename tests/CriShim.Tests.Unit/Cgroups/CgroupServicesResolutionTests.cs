using CriShim.Oci.Cgroups;
using Microsoft.Extensions.DependencyInjection;

namespace CriShim.Tests.Unit.Cgroups;

/// <summary>The registrations the daemon uses (see the cgroups report) build every cgroup service.</summary>
public class CgroupServicesResolutionTests
{
    [Test]
    public void Every_cgroup_service_resolves_from_a_container_given_only_the_layout()
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
        Assert.That(provider.GetRequiredService<NetworkStatsReader>(), Is.Not.Null);
        Assert.That(provider.GetRequiredService<FilesystemUsageCache>(), Is.Not.Null);
        Assert.That(provider.GetRequiredService<CgroupUpdater>(), Is.Not.Null);
        Assert.That(provider.GetRequiredService<CgroupCleaner>(), Is.Not.Null);
    }
}
