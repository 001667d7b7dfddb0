using CriShim.Config;
using CriShim.Images;

namespace CriShim.Tests.Unit.Images;

public sealed class RegistryHostsTests
{
    static RegistryHosts Hosts(Action<RegistryOptions>? configure = null)
    {
        var options = new CriShimOptions();
        configure?.Invoke(options.Registry);
        return new RegistryHosts(options);
    }

    static string[] Urls(RegistryHosts hosts, string host) => hosts.Resolve(host).Select(e => e.ToString()).ToArray();

    [Test]
    public void Resolve_DockerHub_IsRegistry1OverHttps()
    {
        Assert.That(Urls(Hosts(), "docker.io"), Is.EqualTo(new[] { "https://registry-1.docker.io" }));
    }

    [TestCase("localhost:5000", "http://localhost:5000")]
    [TestCase("127.0.0.1:5000", "http://127.0.0.1:5000")]
    [TestCase("127.0.0.1", "http://127.0.0.1")]
    [TestCase("[::1]:5000", "http://[::1]:5000")]
    [TestCase("registry.example.com", "https://registry.example.com")]
    public void Resolve_UsesPlainHttpForLoopbackOnly(string host, string expected)
    {
        Assert.That(Urls(Hosts(), host), Is.EqualTo(new[] { expected }));
    }

    [Test]
    public void Resolve_InsecureHost_UsesPlainHttp()
    {
        var hosts = Hosts(r => r.Insecure.Add("registry.lan:5000"));
        Assert.That(Urls(hosts, "registry.lan:5000"), Is.EqualTo(new[] { "http://registry.lan:5000" }));
    }

    [Test]
    public void Resolve_WithMirrors_TriesThemInOrderThenTheHost()
    {
        var hosts = Hosts(r => r.Mirrors["docker.io"] = ["http://localhost:5000", "https://mirror.example.com/v2/", "10.0.0.1:5000"]);

        Assert.That(Urls(hosts, "docker.io"), Is.EqualTo(new[]
        {
            "http://localhost:5000", "https://mirror.example.com", "https://10.0.0.1:5000", "https://registry-1.docker.io",
        }));
        Assert.That(hosts.Resolve("docker.io")[0].For("v2/library/busybox/manifests/1.35").ToString(),
            Is.EqualTo("http://localhost:5000/v2/library/busybox/manifests/1.35"), "a mirror serves the repository path unchanged");
    }

    [Test]
    public void Credentials_FromBase64Auth_SplitUserAndPassword()
    {
        var auth = Convert.ToBase64String("bob:pa:ss"u8.ToArray());
        Assert.That(RegistryCredentials.From(null, null, auth, null, null), Is.EqualTo(new RegistryCredentials("bob", "pa:ss")));
        Assert.That(RegistryCredentials.From("", "", "", "", ""), Is.Null);
        Assert.That(Assert.Throws<ImageException>(() => RegistryCredentials.From(null, null, "not base64!", null, null))!.ImageKind,
            Is.EqualTo(ImageErrorKind.Invalid));
    }

    [Test]
    public void AuthChallenge_ParsesBearerParametersWithCommasInQuotes()
    {
        var challenges = AuthChallenge.Parse("Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\",scope=\"repository:a/b:pull,push\"");

        var bearer = challenges.Single();
        Assert.That(bearer.Scheme, Is.EqualTo("Bearer"));
        Assert.That(bearer["realm"], Is.EqualTo("https://auth.example.com/token"));
        Assert.That(bearer["service"], Is.EqualTo("registry.example.com"));
        Assert.That(bearer["scope"], Is.EqualTo("repository:a/b:pull,push"));
        Assert.That(AuthChallenge.Parse("Basic realm=\"x\"").Single().Scheme, Is.EqualTo("Basic"));
    }

    [TestCase("https://registry.example.com/", "https://auth.example.com/token", ExpectedResult = true, TestName = "MaySendCredentials_ToAnHttpsRealmElsewhere_IsAllowed")]
    [TestCase("https://registry.example.com/", "http://auth.example.com/token", ExpectedResult = false, TestName = "MaySendCredentials_ToAPlainHttpRealmOnAnotherHost_IsRefused")]
    [TestCase("http://registry.lan:5000/", "http://registry.lan:5001/token", ExpectedResult = true, TestName = "MaySendCredentials_ToAPlainHttpRealmOnTheRegistrysOwnHost_IsAllowed")]
    [TestCase("http://127.0.0.1:5000/", "http://localhost:5001/token", ExpectedResult = true, TestName = "MaySendCredentials_ToAPlainHttpRealmOnLoopback_IsAllowed")]
    [TestCase("http://127.0.0.1:5000/", "http://auth.lan:8080/token", ExpectedResult = true, TestName = "MaySendCredentials_ToAPlainHttpRealmConfiguredInsecure_IsAllowed")]
    public bool MaySendCredentials_OnlyOverHttpsOrToHostsAllowedPlainHttp(string endpoint, string realm) =>
        Hosts(r => r.Insecure.Add("auth.lan:8080")).MaySendCredentials(new Uri(endpoint), new Uri(realm));
}
