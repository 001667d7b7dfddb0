using System.Diagnostics;
using CriShim.Oci.Cgroups;

namespace CriShim.Tests.Integration.Cgroups;

public class FilesystemUsageIntegrationTests
{
    private const int MiB = 1 << 20;
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "crishim-fsusage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void RemoveDirectory()
    {
        var mount = Path.Combine(_dir, "mnt");
        if (File.ReadAllText("/proc/self/mountinfo").Contains($" {mount} "))
            Run("umount", mount);
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void Files_and_directories_are_counted_and_a_hardlink_only_once()
    {
        var big = Path.Combine(_dir, "big");
        File.WriteAllBytes(big, Enumerable.Repeat((byte)7, MiB).ToArray());
        Assert.That(Mono.Unix.Native.Syscall.link(big, Path.Combine(_dir, "big-link")), Is.Zero);
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        File.WriteAllText(Path.Combine(_dir, "sub", "small"), "hello");

        var usage = FilesystemUsageCalculator.Measure(_dir)!;

        Assert.That(usage.InodesUsed, Is.EqualTo(4UL), "root, big (twice linked), sub, sub/small");
        Assert.That(usage.UsedBytes, Is.InRange((ulong)MiB, (ulong)MiB + 256 * 1024));
    }

    [Test]
    public void Symlinks_count_as_themselves_and_are_not_followed()
    {
        File.CreateSymbolicLink(Path.Combine(_dir, "usr"), "/usr");

        var usage = FilesystemUsageCalculator.Measure(_dir)!;

        Assert.That(usage.InodesUsed, Is.EqualTo(2UL));
        Assert.That(usage.UsedBytes, Is.LessThan(1UL * MiB));
    }

    [Test]
    public void A_filesystem_mounted_below_is_not_counted()
    {
        TestCgroup.RequireRoot();
        var mount = Path.Combine(_dir, "mnt");
        Directory.CreateDirectory(mount);
        Run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount);
        File.WriteAllBytes(Path.Combine(mount, "inside"), new byte[4 * MiB]);

        var usage = FilesystemUsageCalculator.Measure(_dir)!;

        Assert.That(usage.InodesUsed, Is.EqualTo(1UL), "the mount point itself belongs to the other filesystem");
        Assert.That(usage.UsedBytes, Is.LessThan(1UL * MiB));
    }

    [Test]
    public void A_missing_directory_has_no_usage()
    {
        Assert.That(FilesystemUsageCalculator.Measure(Path.Combine(_dir, "nope")), Is.Null);
    }

    [Test]
    public async Task The_cache_returns_the_recent_walk_until_it_is_too_old()
    {
        var clock = new ManualClock();
        var cache = new FilesystemUsageCache(TimeSpan.FromSeconds(2), clock);
        var first = await cache.GetAsync(_dir);
        File.WriteAllBytes(Path.Combine(_dir, "new"), new byte[64 * 1024]);

        var cached = await cache.GetAsync(_dir);
        clock.Advance(TimeSpan.FromSeconds(3));
        var fresh = await cache.GetAsync(_dir);

        Assert.That(cached, Is.SameAs(first));
        Assert.That(fresh!.InodesUsed, Is.EqualTo(first!.InodesUsed + 1));
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(file, args);
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"{file} {string.Join(' ', args)}");
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
