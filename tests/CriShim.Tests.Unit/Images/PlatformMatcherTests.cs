using CriShim.Images;

namespace CriShim.Tests.Unit.Images;

public sealed class PlatformMatcherTests
{
    static Descriptor Manifest(string os, string arch, string? variant = null, string? digestChar = null) => new()
    {
        MediaType = MediaTypes.OciManifest,
        Digest = "sha256:" + new string((digestChar ?? arch[..1]).Single(), 64),
        Size = 100,
        Platform = new Platform { Os = os, Architecture = arch, Variant = variant },
    };

    [Test]
    public void Select_OnAmd64_PicksLinuxAmd64OverOtherPlatforms()
    {
        var amd64 = Manifest("linux", "amd64");
        var chosen = new PlatformMatcher("linux", "amd64", null).Select([Manifest("linux", "arm64", "v8"), Manifest("windows", "amd64", digestChar: "w"), amd64]);
        Assert.That(chosen, Is.EqualTo(amd64));
    }

    [Test]
    public void Select_OnArm64_AcceptsAMissingV8Variant()
    {
        var arm64 = Manifest("linux", "arm64");
        Assert.That(new PlatformMatcher("linux", "arm64", "v8").Select([Manifest("linux", "amd64"), arm64]), Is.EqualTo(arm64));
    }

    [Test]
    public void Select_OnArmV7_PrefersTheExactVariantThenAnOlderOne()
    {
        var v6 = Manifest("linux", "arm", "v6", "6");
        var v7 = Manifest("linux", "arm", "v7", "7");
        var v8 = Manifest("linux", "arm", "v8", "8");
        var matcher = new PlatformMatcher("linux", "arm", "v7");
        Assert.That(matcher.Select([v6, v8, v7]), Is.EqualTo(v7));
        Assert.That(matcher.Select([v8, v6]), Is.EqualTo(v6));
        Assert.That(matcher.Select([v8]), Is.Null);
    }

    [Test]
    public void Select_WithoutAMatchingPlatform_ReturnsNull()
    {
        Assert.That(new PlatformMatcher("linux", "amd64", null).Select([Manifest("linux", "arm64"), Manifest("linux", "s390x")]), Is.Null);
    }

    [Test]
    public void Select_IgnoresAttestationsAndEntriesWithoutPlatform()
    {
        var amd64 = Manifest("linux", "amd64");
        var attestation = Manifest("unknown", "unknown", digestChar: "u");
        Assert.That(new PlatformMatcher("linux", "amd64", null).Select([attestation, new Descriptor { Digest = "sha256:" + new string('0', 64) }, amd64]), Is.EqualTo(amd64));
    }

    [Test]
    public void Host_IsLinuxOnThisMachinesArchitecture()
    {
        Assert.That(PlatformMatcher.Host.Os, Is.EqualTo("linux"));
        Assert.That(PlatformMatcher.Host.Architecture, Is.AnyOf("amd64", "arm64", "arm", "386", "s390x", "ppc64le", "riscv64", "loong64"));
    }
}
