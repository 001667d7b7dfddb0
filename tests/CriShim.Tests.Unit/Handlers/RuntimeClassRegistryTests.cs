using CriShim.Errors;
using CriShim.Config;
using CriShim.Cri;
using CriShim.Oci.Monitor;
using CriShim.RuntimeClasses;
using CriShim.Stores;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Tests.Unit.Handlers;

public class RuntimeClassRegistryTests
{
    string _state = null!;

    [SetUp]
    public void CreateState() => _state = Directory.CreateTempSubdirectory("crishim-handlers-").FullName;

    [TearDown]
    public void DeleteState() => Directory.Delete(_state, true);

    RuntimeClassRegistry Build(Dictionary<string, RuntimeClassOptions> runtimes, string defaultRuntime = "runc") =>
        new(new CriShimOptions { State = _state, Runtimes = runtimes, DefaultRuntime = defaultRuntime }, NullLoggerFactory.Instance);

    static PodRecord Pod(string handler) => new()
    {
        Id = "p1", Name = "n", Namespace = "ns", Uid = "u", Config = [], RuntimeHandler = handler, PodDir = "/nonexistent",
    };

    [Test]
    public void AnEmptyHandlerName_MeansTheDefaultRuntime()
    {
        var handlers = Build(new() { ["runc"] = new() { Path = "/bin/true" }, ["other"] = new() { Path = "/bin/false" } });
        Assert.That(handlers.Resolve("").Name, Is.EqualTo("runc"));
        Assert.That(handlers.Resolve("other").Name, Is.EqualTo("other"));
        Assert.That(handlers.For(Pod("")).Name, Is.EqualTo("runc"));
    }

    [Test]
    public void AnUnknownHandler_IsAnInvalidArgument_NamingTheConfiguredOnes()
    {
        var handlers = Build(new() { ["runc"] = new() { Path = "/bin/true" }, ["crun"] = new() { Path = "/bin/true" } });
        var e = Assert.Throws<DomainException>(() => handlers.Resolve("kata"))!;
        Assert.That(e.Kind, Is.EqualTo(ErrorKind.InvalidArgument));
        Assert.That(e.Message, Does.Contain("\"kata\"").And.Contain("runc, crun"));
    }

    [Test]
    public void AHandlerWhoseBinaryIsMissing_IsAFailedPrecondition_WithTheReason()
    {
        var handlers = Build(new() { ["runc"] = new() { Path = "/bin/true" }, ["ghost"] = new() { Path = "/nonexistent/ghost-runtime" } });
        var ghost = handlers.Find("ghost")!;
        Assert.That(ghost.IsUsable, Is.False);
        var e = Assert.Throws<DomainException>(() => handlers.Resolve("ghost"))!;
        Assert.That(e.Kind, Is.EqualTo(ErrorKind.FailedPrecondition));
        Assert.That(e.Message, Does.Contain("/nonexistent/ghost-runtime"));
    }

    [Test]
    public void EachHandler_HasItsOwnRoot_AndPassesItsFlags_ToTheRuntimeAndToConmon()
    {
        var handlers = Build(new()
        {
            ["runc"] = new() { Path = "/bin/true" },
            ["fast"] = new() { Path = "/bin/true", Args = ["--debug=true"] },
        });
        var fast = handlers.Find("fast")!;
        Assert.That(fast.Runtime.Root, Is.EqualTo(Path.Combine(_state, "fast")));
        Assert.That(handlers.Find("runc")!.Runtime.Root, Is.EqualTo(Path.Combine(_state, "runc")));
        Assert.That(fast.Runtime.GlobalArgs, Is.EqualTo(new[] { "--root", Path.Combine(_state, "fast"), "--debug=true" }));
        var paths = fast.Monitor.Paths("c1", "/b");
        var conmon = ConmonCommand.BuildCreateArgs(fast.Monitor.Settings, fast.Monitor.Runc, new ContainerLaunchSpec("c1", "c1", "/b", "/l"), paths);
        Assert.That(string.Join(' ', conmon), Does.Contain("--runtime-arg --root=" + Path.Combine(_state, "fast") + " --runtime-arg --debug=true"));
        var exec = ConmonCommand.BuildExecArgs(fast.Monitor.Settings, fast.Monitor.Runc, "c1", "/p.json", "/pid", "/log");
        Assert.That(string.Join(' ', exec), Does.EndWith("--runtime-arg --debug=true"));
        Assert.That(fast.Monitor.Settings.ExitDir, Is.EqualTo(handlers.Default.Monitor.Settings.ExitDir), "one exit directory for every handler");
    }

    [Test]
    public void ADefaultRuntimeThatIsNotConfigured_StopsTheDaemonAtStart()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Build(new() { ["crun"] = new() { Path = "/bin/true" } }, defaultRuntime: "runc"))!;
        Assert.That(e.Message, Does.Contain("runc").And.Contain("crun"));
    }

    [Test]
    public void WithoutARuntimesSection_RuncCrunAndRunscAreConfigured_RuncFromTheLegacyRuncOption()
    {
        var handlers = new RuntimeClassRegistry(new CriShimOptions { State = _state, Runc = "/bin/true" }, NullLoggerFactory.Instance);
        Assert.That(handlers.All.Select(h => h.Name), Is.EquivalentTo(new[] { "runc", "crun", "runsc" }));
        Assert.That(handlers.Default.Binary, Is.EqualTo("/bin/true"));
        Assert.That(handlers.Find("runsc")!.Kind, Is.SameAs(RuntimeKinds.Sandboxed));
    }

    [Test]
    public void APodWhoseHandlerWasRemovedFromTheConfig_IsReportedNotGuessed()
    {
        var handlers = Build(new() { ["runc"] = new() { Path = "/bin/true" } });
        Assert.That(Assert.Throws<DomainException>(() => handlers.For(Pod("gone")))!.Kind, Is.EqualTo(ErrorKind.FailedPrecondition));
        Assert.That(handlers.ForOrDefault(Pod("gone")).Name, Is.EqualTo("runc"), "cleanup still finds a runtime");
    }
}
