using System.Net;
using System.Text;
using CriShim.Config;
using CriShim.Images;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Unit.Images;

/// <summary>The distribution protocol against a fake registry: tokens, retries, digest checks, mirrors.</summary>
public sealed class RegistryClientTests
{
    static readonly byte[] Manifest = Encoding.UTF8.GetBytes("""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2},"layers":[]}""");

    FakeRegistry _registry = null!;

    [SetUp]
    public void Start()
    {
        _registry = new FakeRegistry();
        _registry.Content["/v2/team/app/manifests/v1"] = (MediaTypes.OciManifest, Manifest);
        _registry.Content[$"/v2/team/app/manifests/{Digest.Compute(Manifest)}"] = (MediaTypes.OciManifest, Manifest);
    }

    [TearDown]
    public void Stop() => _registry.Dispose();

    static RegistryClient Client(CriShimOptions? options = null) => new(new HttpClient(), new RegistryHosts(options ?? new CriShimOptions()),
        new PullTimeouts { RetryDelay = TimeSpan.FromMilliseconds(1), MaxRetries = 3, Request = TimeSpan.FromSeconds(5) },
        NullLogger<RegistryClient>.Instance);

    RegistrySession Session(RegistryCredentials? credentials = null, CriShimOptions? options = null, string? name = null) =>
        Client(options).Open(ImageReference.Parse(name ?? $"{_registry.Host}/team/app:v1"), credentials);

    [Test]
    public async Task GetManifest_Anonymously_ReturnsItsBytesMediaTypeAndDigest()
    {
        var manifest = await Session().GetManifestAsync("v1", CancellationToken.None);

        Assert.That(manifest.Content, Is.EqualTo(Manifest));
        Assert.That(manifest.MediaType, Is.EqualTo(MediaTypes.OciManifest));
        Assert.That(manifest.Digest, Is.EqualTo(Digest.Compute(Manifest)));
    }

    [Test]
    public async Task GetManifest_FromBearerProtectedRegistry_FetchesATokenWithServiceAndScope()
    {
        _registry.RequiredToken = "tok-123";

        var manifest = await Session().GetManifestAsync("v1", CancellationToken.None);

        Assert.That(manifest.Content, Is.EqualTo(Manifest));
        Assert.That(_registry.LastTokenQuery, Does.Contain("service=fake-registry").And.Contain("scope=repository%3Ateam"));
    }

    [Test]
    public async Task GetManifest_WithBearerAndBasicCredentials_SendsThemToTheTokenServer()
    {
        _registry.RequiredToken = "tok-456";
        _registry.TokenCredentials = ("alice", "s3cret");

        var manifest = await Session(new RegistryCredentials("alice", "s3cret")).GetManifestAsync("v1", CancellationToken.None);
        Assert.That(manifest.Digest, Is.EqualTo(Digest.Compute(Manifest)));

        var e = Assert.ThrowsAsync<ImageException>(() => Session(new RegistryCredentials("alice", "wrong")).GetManifestAsync("v1", CancellationToken.None));
        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Unauthorized));
    }

    [Test]
    public async Task GetManifest_WithRegistryToken_UsesItAsTheBearerToken()
    {
        _registry.RequiredToken = "given-token";
        _registry.TokenCredentials = ("nobody", "never"); // the token server would refuse: it must not be asked

        var manifest = await Session(new RegistryCredentials(null, null, RegistryToken: "given-token")).GetManifestAsync("v1", CancellationToken.None);

        Assert.That(manifest.Content, Is.EqualTo(Manifest));
        Assert.That(_registry.Requests, Has.None.Contains("/token"));
    }

    [Test]
    public async Task GetManifest_WithIdentityToken_ExchangesItForAnAccessToken()
    {
        _registry.RequiredToken = "access-789";
        _registry.RefreshToken = "refresh-abc";

        var manifest = await Session(new RegistryCredentials(null, null, IdentityToken: "refresh-abc")).GetManifestAsync("v1", CancellationToken.None);

        Assert.That(manifest.Content, Is.EqualTo(Manifest));
        Assert.That(_registry.LastTokenQuery, Does.Contain("grant_type=refresh_token").And.Contain("service=fake-registry"));
    }

    [Test]
    public async Task GetManifest_AfterTransientFailures_RetriesAndSucceeds()
    {
        _registry.Failures.Enqueue(HttpStatusCode.ServiceUnavailable);
        _registry.Failures.Enqueue(HttpStatusCode.TooManyRequests);

        var manifest = await Session().GetManifestAsync("v1", CancellationToken.None);

        Assert.That(manifest.Content, Is.EqualTo(Manifest));
        Assert.That(_registry.Requests.Count(r => r.Contains("/manifests/")), Is.EqualTo(3));
    }

    [Test]
    public void GetManifest_WhenTheRegistryKeepsFailing_GivesUpAsUnavailable()
    {
        for (var i = 0; i < 10; i++) _registry.Failures.Enqueue(HttpStatusCode.InternalServerError);

        var e = Assert.ThrowsAsync<ImageException>(() => Session().GetManifestAsync("v1", CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Unavailable));
        Assert.That(_registry.Requests.Count(r => r.Contains("/manifests/")), Is.EqualTo(4), "one attempt and three retries, bounded");
    }

    [Test]
    public void GetManifest_OfUnknownTag_IsNotFoundWithoutRetry()
    {
        var e = Assert.ThrowsAsync<ImageException>(() => Session().GetManifestAsync("nope", CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.NotFound));
        Assert.That(e.Message, Does.Contain("manifest unknown"));
        Assert.That(_registry.Requests.Count(r => r.Contains("/manifests/")), Is.EqualTo(1));
    }

    [Test]
    public void GetManifest_ByDigest_WhoseBytesDoNotMatch_IsCorrupt()
    {
        var wanted = "sha256:" + new string('d', 64);
        _registry.Content[$"/v2/team/app/manifests/{wanted}"] = (MediaTypes.OciManifest, Manifest);

        var e = Assert.ThrowsAsync<ImageException>(() => Session().GetManifestAsync(wanted, CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Corrupt));
    }

    [Test]
    public async Task GetManifest_WithAMirror_AsksTheMirrorFirstWithTheSamePath()
    {
        using var upstream = new FakeRegistry(); // empty: would answer 404
        var options = new CriShimOptions();
        options.Registry.Mirrors[upstream.Host] = [$"http://{_registry.Host}"];

        var manifest = await Session(options: options, name: $"{upstream.Host}/team/app:v1").GetManifestAsync("v1", CancellationToken.None);

        Assert.That(manifest.Content, Is.EqualTo(Manifest));
        Assert.That(manifest.Endpoint.IsMirror, Is.True);
        Assert.That(upstream.Requests, Is.Empty);
    }

    [Test]
    public async Task GetManifest_WhenTheMirrorLacksIt_FallsBackToTheRegistryItself()
    {
        using var emptyMirror = new FakeRegistry();
        var options = new CriShimOptions();
        options.Registry.Mirrors[_registry.Host] = [$"http://{emptyMirror.Host}"];

        var manifest = await Session(options: options).GetManifestAsync("v1", CancellationToken.None);

        Assert.That(manifest.Endpoint.IsMirror, Is.False);
        Assert.That(emptyMirror.Requests, Has.Count.EqualTo(1).And.All.EndsWith("/manifests/v1"), "the mirror was asked for the manifest once");
    }

    [Test]
    public async Task CopyBlob_StreamsTheBlobFromTheRegistry()
    {
        var blob = Encoding.UTF8.GetBytes("blob content");
        var digest = Digest.Compute(blob).ToString();
        _registry.Content[$"/v2/team/app/blobs/{digest}"] = ("application/octet-stream", blob);
        using var sink = new MemoryStream();

        await Session().CopyBlobAsync(new Descriptor { Digest = digest, Size = blob.Length }, sink, CancellationToken.None);

        Assert.That(sink.ToArray(), Is.EqualTo(blob));
    }

    [Test]
    public void CopyBlob_ThatStopsArriving_IsAbandonedByTheNoProgressTimeout()
    {
        _registry.StallBlobs = true;
        var client = new RegistryClient(new HttpClient(), new RegistryHosts(new CriShimOptions()),
            new PullTimeouts { NoProgress = TimeSpan.FromMilliseconds(200), Request = TimeSpan.FromSeconds(5) }, NullLogger<RegistryClient>.Instance);
        var session = client.Open(ImageReference.Parse($"{_registry.Host}/team/app:v1"), null);

        var e = Assert.ThrowsAsync<TimeoutException>(() =>
            session.CopyBlobAsync(new Descriptor { Digest = "sha256:" + new string('e', 64), Size = 100 }, Stream.Null, CancellationToken.None));

        Assert.That(e!.Message, Does.Contain("stalled"));
    }

    [Test]
    public void CopyBlob_LongerThanItsDescriptor_IsTooLarge()
    {
        var blob = Encoding.UTF8.GetBytes("blob content");
        var digest = Digest.Compute(blob).ToString();
        _registry.Content[$"/v2/team/app/blobs/{digest}"] = ("application/octet-stream", blob);

        var e = Assert.ThrowsAsync<ImageException>(() =>
            Session().CopyBlobAsync(new Descriptor { Digest = digest, Size = 3 }, Stream.Null, CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
        Assert.That(e.Message, Does.Contain("more than the 3 its descriptor declares"));
    }

    [Test]
    public void CopyBlob_ShorterThanItsDescriptor_IsCorrupt()
    {
        var blob = Encoding.UTF8.GetBytes("blob content");
        var digest = Digest.Compute(blob).ToString();
        _registry.Content[$"/v2/team/app/blobs/{digest}"] = ("application/octet-stream", blob);

        var e = Assert.ThrowsAsync<ImageException>(() =>
            Session().CopyBlobAsync(new Descriptor { Digest = digest, Size = 100 }, Stream.Null, CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Corrupt));
    }

    static byte[] Padded(int size) => Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', size) + "\"}");

    [TestCase(false, TestName = "GetManifest_OverTheManifestLimit_IsTooLargeNamingTheLimit")]
    [TestCase(true, TestName = "GetManifest_SentChunkedPastTheManifestLimit_IsTooLargeNamingTheLimit")]
    public void GetManifest_OverTheManifestLimit_IsTooLarge(bool chunked)
    {
        _registry.Content["/v2/team/app/manifests/huge"] = (MediaTypes.OciManifest, Padded(ImageLimits.MaxManifestBytes));
        if (chunked) _registry.Chunked["/v2/team/app/manifests/huge"] = true;

        var e = Assert.ThrowsAsync<ImageException>(() => Session().GetManifestAsync("huge", CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
        Assert.That(e.Message, Does.Contain("4 MiB (4194304 bytes), the limit on manifests and indexes"));
    }

    [Test]
    public void GetManifest_WhoseIndexDeclaresOverTheLimit_IsRefusedWithoutAsking()
    {
        var digest = "sha256:" + new string('a', 64);

        var e = Assert.ThrowsAsync<ImageException>(() => Session().GetManifestAsync(digest, CancellationToken.None, declaredSize: 64L << 20));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
        Assert.That(e.Message, Does.Contain("the limit on manifests and indexes"));
        Assert.That(_registry.Requests, Is.Empty);
    }

    [Test]
    public void GetManifest_SentLongerThanItsIndexDeclares_IsTooLarge()
    {
        var e = Assert.ThrowsAsync<ImageException>(() =>
            Session().GetManifestAsync(Digest.Compute(Manifest).ToString(), CancellationToken.None, declaredSize: Manifest.Length - 10));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
    }

    [Test]
    public void GetManifest_WhoseTokenReplyIsOverTheLimit_IsTooLargeNamingTheLimit()
    {
        _registry.RequiredToken = "tok";
        _registry.TokenReply = Padded(ImageLimits.MaxTokenReplyBytes);

        var e = Assert.ThrowsAsync<ImageException>(() => Session().GetManifestAsync("v1", CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.TooLarge));
        Assert.That(e.Message, Does.Contain("1 MiB (1048576 bytes), the limit on token replies"));
    }

    [Test]
    public async Task GetManifest_ThroughAMirror_SendsTheRegistrysCredentialsOnlyToTheRegistry()
    {
        // both ask for a token the same credentials would get: only the registry they were given for may see them
        using var mirror = new FakeRegistry();
        mirror.Content["/v2/team/app/manifests/v1"] = (MediaTypes.OciManifest, Manifest);
        mirror.RequiredToken = "mirror-token";
        mirror.TokenCredentials = ("alice", "s3cret");
        _registry.RequiredToken = "registry-token";
        _registry.TokenCredentials = ("alice", "s3cret");
        var options = new CriShimOptions();
        options.Registry.Mirrors[_registry.Host] = [$"http://{mirror.Host}"];

        var manifest = await Session(new RegistryCredentials("alice", "s3cret"), options).GetManifestAsync("v1", CancellationToken.None);

        Assert.That(manifest.Endpoint.IsMirror, Is.False, "the mirror refused the anonymous token request");
        Assert.That(mirror.TokenAuthorizations, Is.Not.Empty.And.All.Empty, "the mirror never saw the credentials");
        Assert.That(_registry.TokenAuthorizations, Has.Some.StartsWith("Basic "));
    }

    [Test]
    public async Task GetManifest_WithAPlainHttpRealmOnAnotherHost_WithholdsTheCredentialsUnlessItIsInsecure()
    {
        var address = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        if (address is null) Assert.Ignore("no non-loopback IPv4 address to stand for another host");
        using var tokenServer = new FakeRegistry(allAddresses: true);
        tokenServer.RequiredToken = "tok-789";
        tokenServer.TokenCredentials = ("alice", "s3cret");
        var realmHost = $"{address}:{tokenServer.Port}";
        _registry.RequiredToken = "tok-789";
        _registry.Realm = $"http://{realmHost}/token";
        var credentials = new RegistryCredentials("alice", "s3cret");

        var e = Assert.ThrowsAsync<ImageException>(() => Session(credentials).GetManifestAsync("v1", CancellationToken.None));

        Assert.That(e!.ImageKind, Is.EqualTo(ImageErrorKind.Unauthorized));
        Assert.That(e.Message, Does.Contain("credentials withheld"));
        Assert.That(tokenServer.TokenAuthorizations, Is.Not.Empty.And.All.Empty);

        var insecure = new CriShimOptions();
        insecure.Registry.Insecure.Add(realmHost);
        var manifest = await Session(credentials, insecure).GetManifestAsync("v1", CancellationToken.None);
        Assert.That(manifest.Content, Is.EqualTo(Manifest));
    }
}
