using CriShim.Images;

namespace CriShim.Tests.Unit.Images;

public sealed class ImageReferenceTests
{
    [TestCase("busybox", "docker.io/library/busybox:latest")]
    [TestCase("busybox:1.35", "docker.io/library/busybox:1.35")]
    [TestCase("library/busybox", "docker.io/library/busybox:latest")]
    [TestCase("docker.io/busybox", "docker.io/library/busybox:latest")]
    [TestCase("index.docker.io/library/busybox:1", "docker.io/library/busybox:1")]
    [TestCase("someone/app:v2", "docker.io/someone/app:v2")]
    [TestCase("localhost/app", "localhost/app:latest")]
    [TestCase("localhost:5000/busybox:1.35", "localhost:5000/busybox:1.35")]
    [TestCase("127.0.0.1:5000/a/b/c:tag", "127.0.0.1:5000/a/b/c:tag")]
    [TestCase("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9")]
    [TestCase("[::1]:5000/busybox", "[::1]:5000/busybox:latest")]
    [TestCase("gcr.io/k8s-staging-cri-tools/test-image-tag:all", "gcr.io/k8s-staging-cri-tools/test-image-tag:all")]
    [TestCase("my_repo/a-b__c.d", "docker.io/my_repo/a-b__c.d:latest")]
    public void Parse_NormalizesLikeDockerAndKubernetes(string input, string expected)
    {
        Assert.That(ImageReference.Parse(input).ToString(), Is.EqualTo(expected));
    }

    [Test]
    public void Parse_WithDigest_KeepsTheDigestAndAddsNoTag()
    {
        var digest = "sha256:" + new string('a', 64);
        var reference = ImageReference.Parse("busybox@" + digest);

        Assert.That(reference.ToString(), Is.EqualTo("docker.io/library/busybox@" + digest));
        Assert.That(reference.Tag, Is.Null);
        Assert.That(reference.RegistryReference, Is.EqualTo(digest));
        Assert.That(reference.TaggedName, Is.Null);
    }

    [Test]
    public void Parse_WithTagAndDigest_AsksTheRegistryForTheDigest()
    {
        var digest = "sha256:" + new string('b', 64);
        var reference = ImageReference.Parse("localhost:5000/app:1.0@" + digest);

        Assert.That((reference.Domain, reference.Path, reference.Tag), Is.EqualTo(("localhost:5000", "app", "1.0")));
        Assert.That(reference.RegistryReference, Is.EqualTo(digest));
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase("Busybox")]
    [TestCase("docker.io/Library/busybox")]
    [TestCase("busybox:")]
    [TestCase("busybox:-bad")]
    [TestCase("busybox:has space")]
    [TestCase("busybox@sha256:abc")]
    [TestCase("busybox@md5:0123456789abcdef0123456789abcdef")]
    [TestCase("a//b")]
    [TestCase("-leading/dash")]
    [TestCase(":tagonly")]
    [TestCase("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Parse_OfMalformedReference_Fails(string input)
    {
        Assert.That(ImageReference.TryParse(input, out _, out var error), Is.False);
        Assert.That(error, Is.Not.Empty);
        Assert.Throws<FormatException>(() => ImageReference.Parse(input));
    }

    [TestCase("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [TestCase("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [TestCase("busybox", false)]
    [TestCase("sha256:0123", false)]
    public void LooksLikeImageId_RecognizesFullIds(string input, bool expected)
    {
        Assert.That(ImageReference.LooksLikeImageId(input), Is.EqualTo(expected));
    }

    [Test]
    public void Digest_Parse_RejectsUppercaseAndShortHex()
    {
        Assert.That(Digest.TryParse("sha256:" + new string('A', 64), out _), Is.False);
        Assert.That(Digest.TryParse("sha256:" + new string('a', 63), out _), Is.False);
        Assert.That(Digest.Parse("sha256:" + new string('a', 64)).Hex, Is.EqualTo(new string('a', 64)));
    }
}
