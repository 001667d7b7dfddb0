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
        Assert.That(e!.Kind, Is.EqualTo(ImageErrorKind.Unauthorized));
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

        Assert.That(e!.Kind, Is.EqualTo(ImageErrorKind.Unavailable));
        Assert.That(_registry.Requests.Count(r => r.Contains("/manifests/")), Is.EqualTo(4), "one attempt and three retries, bounded");
    }

    [Test]
    public void GetManifest_OfUnknownTag_IsNotFoundWithoutRetry()
    {
        var e = Assert.ThrowsAsync<ImageException>(() => Session().GetManifestAsync("nope", CancellationToken.None));

        Assert.That(e!.Kind, Is.EqualTo(ImageErrorKind.NotFound));
        Assert.That(e.Message, Does.Contain("manifest unknown"));
        Assert.That(_registry.Requests.Count(r => r.Contains("/manifests/")), Is.EqualTo(1));
    }

    [Test]
    public void GetManifest_ByDigest_WhoseBytesDoNotMatch_IsCorrupt()
    {
        var wanted = "sha256:" + new string('d', 64);
        _registry.Content[$"/v2/team/app/manifests/{wanted}"] = (MediaTypes.OciManifest, Manifest);

        var e = Assert.ThrowsAsync<ImageException>(() => Session().GetManifestAsync(wanted, CancellationToken.None));

        Assert.That(e!.Kind, Is.EqualTo(ImageErrorKind.Corrupt));
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
        Assert.That(emptyMirror.Requests, Has.Count.EqualTo(1));
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
    public void CopyBlob_WithWrongLength_IsCorrupt()
    {
        var blob = Encoding.UTF8.GetBytes("blob content");
        var digest = Digest.Compute(blob).ToString();
        _registry.Content[$"/v2/team/app/blobs/{digest}"] = ("application/octet-stream", blob);

        var e = Assert.ThrowsAsync<ImageException>(() =>
            Session().CopyBlobAsync(new Descriptor { Digest = digest, Size = 3 }, Stream.Null, CancellationToken.None));

        Assert.That(e!.Kind, Is.EqualTo(ImageErrorKind.Corrupt));
    }
}
