using CriShim.Tests.Integration.Support;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Images;

/// <summary>Pulls from a registry that requires basic authentication (docker-registry with htpasswd).</summary>
[TestFixture]
public sealed class RegistryAuthTests
{
    const string User = "crishim";
    const string Password = "crishim-secret";
    // bcrypt of Password (cost 4), as htpasswd -B would write it
    const string Htpasswd = "crishim:$2b$04$yhWEfvVANJATBxVKCpTRXexKg.iHYtsEogcivnDBr0gGK13FhDYp2";

    TestRegistry _secured = null!;
    DaemonProcess _daemon = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        var shared = await TestRegistry.GetSharedAsync();
        _secured = await TestRegistry.StartAsync(Htpasswd, User, Password);
        await _secured.CopyFromAsync(shared, "busybox:1.35", "private/busybox:1.35");
        _daemon = await DaemonProcess.StartAsync();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _daemon.DisposeAsync();
        await _secured.DisposeAsync();
    }

    string Ref => $"{_secured.Host}/private/busybox:1.35";

    [Test]
    public async Task PullImage_WithUsernameAndPassword_Succeeds()
    {
        var id = await _daemon.PullAsync(Ref, new AuthConfig { Username = User, Password = Password });
        Assert.That(await _daemon.StatusAsync(Ref), Has.Property("Id").EqualTo(id));
        await _daemon.RemoveAsync(id);
    }

    [Test]
    public async Task PullImage_WithBase64Auth_Succeeds()
    {
        var auth = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{User}:{Password}"));
        var id = await _daemon.PullAsync(Ref, new AuthConfig { Auth = auth });
        Assert.That(id, Does.StartWith("sha256:"));
        await _daemon.RemoveAsync(id);
    }

    [Test]
    public async Task PullImage_WithoutCredentials_IsUnauthenticated()
    {
        Assert.That(await _daemon.PullFailureAsync(Ref), Is.EqualTo(StatusCode.Unauthenticated));
    }

    [Test]
    public async Task PullImage_WithWrongPassword_IsUnauthenticated()
    {
        Assert.That(await _daemon.PullFailureAsync(Ref, new AuthConfig { Username = User, Password = "wrong" }), Is.EqualTo(StatusCode.Unauthenticated));
    }

    [Test]
    public async Task PullImage_ConcurrentlyWithRightAndWrongPasswords_GivesEachPullItsOwnAnswer()
    {
        var right = new AuthConfig { Username = User, Password = Password };
        var wrong = new AuthConfig { Username = User, Password = "wrong" };

        // started together: a pull that shared another's work would get that one's answer
        var pulls = Enumerable.Range(0, 6).Select(i => (Right: i % 2 == 0, Task: _daemon.PullAsync(Ref, i % 2 == 0 ? right : wrong))).ToList();
        try { await Task.WhenAll(pulls.Select(p => p.Task)); }
        catch (RpcException) { }

        foreach (var (isRight, task) in pulls)
        {
            if (isRight) Assert.That(task.Status, Is.EqualTo(TaskStatus.RanToCompletion), "a pull with the right password succeeds");
            else Assert.That((task.Exception?.InnerException as RpcException)?.StatusCode, Is.EqualTo(StatusCode.Unauthenticated), "a pull with a wrong password fails");
        }
        await _daemon.RemoveAsync(Ref);
    }

    [Test]
    public async Task PullImage_ThroughAMirrorThatWantsAPassword_DoesNotSendItTheRegistrysCredentials()
    {
        // the mirror has the image and would take this password; the registry the password is for does not exist
        // (a name without a port: the configuration binder reads ':' in a key as a section separator)
        const string registryHost = "registry.invalid";
        await using var daemon = await DaemonProcess.StartAsync(config =>
            config["Registry"]!["Mirrors"]![registryHost] = new System.Text.Json.Nodes.JsonArray($"http://{_secured.Host}"));

        var e = Assert.ThrowsAsync<RpcException>(() =>
            daemon.PullAsync($"{registryHost}/private/busybox:1.35", new AuthConfig { Username = User, Password = Password }));

        TestContext.Progress.WriteLine($"{e!.StatusCode} {e.Status.Detail}");
        Assert.That(e.Status.Detail, Does.Contain($"mirror: http://{_secured.Host} requires a user name and password"),
            "the mirror was asked without the credentials given for the registry");
    }
}
