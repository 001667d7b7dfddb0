using CriShim.Oci.Runc;

namespace CriShim.Tests.Unit.Runc;

public sealed class RuncParsingTests
{
    [Test]
    public void State_json_from_runc_is_parsed()
    {
        const string json = """
            {"ociVersion":"1.0.2-dev","id":"abc","pid":4242,"status":"running","bundle":"/run/b/abc",
             "rootfs":"/run/b/abc/rootfs","created":"2024-05-01T10:20:30.123456789Z","owner":"",
             "annotations":{"io.kubernetes.cri.sandbox-id":"pod1"}}
            """;
        var s = RuncState.Parse(json);
        Assert.That(s.Id, Is.EqualTo("abc"));
        Assert.That(s.Pid, Is.EqualTo(4242));
        Assert.That(s.IsRunning, Is.True);
        Assert.That(s.Bundle, Is.EqualTo("/run/b/abc"));
        Assert.That(s.Created, Is.EqualTo(new DateTimeOffset(2024, 5, 1, 10, 20, 30, TimeSpan.Zero).AddTicks(1234567)));
        Assert.That(s.Annotations["io.kubernetes.cri.sandbox-id"], Is.EqualTo("pod1"));
    }

    [Test]
    public void A_stopped_container_has_pid_zero()
    {
        var s = RuncState.Parse("""{"id":"x","pid":0,"status":"stopped","bundle":"/b","created":"2024-05-01T10:20:30Z"}""");
        Assert.That(s.IsStopped, Is.True);
        Assert.That(s.Pid, Is.Zero);
        Assert.That(s.Annotations, Is.Empty);
    }

    [Test]
    public void List_output_null_means_no_containers()
    {
        Assert.That(RuncState.ParseList("null\n"), Is.Empty);
        Assert.That(RuncState.ParseList(""), Is.Empty);
        var list = RuncState.ParseList("""[{"id":"a","pid":1,"status":"created","bundle":"/a","created":"2024-05-01T10:20:30Z"}]""");
        Assert.That(list.Single().IsCreated, Is.True);
    }

    [Test]
    public void Runc_error_text_keeps_the_logrus_message()
    {
        var e = new RuncException("start", 1, "time=\"2024-05-01T10:20:30Z\" level=error msg=\"container \\\"x\\\" does not exist\"\n");
        Assert.That(e.Message, Does.Contain("container \"x\" does not exist"));
        Assert.That(e.Message, Does.Not.Contain("level=error"));
        Assert.That(e.IsNotFound, Is.True);
    }

    [Test]
    public void Crun_state_of_an_unknown_container_is_recognised_as_not_found()
    {
        var e = new RuncException("state", 1, "error opening file `/run/crishim/crun/abc/status`: No such file or directory\n");
        Assert.That(e.IsNotFound, Is.True);
        Assert.That(new RuncException("create", 1, "open `/b/config.json`: No such file or directory").IsNotFound, Is.False);
    }

    [Test]
    public void Kill_of_a_stopped_container_is_recognised_as_not_running()
    {
        Assert.That(new RuncException("kill", 1, "level=error msg=\"container not running\"").IsNotRunning, Is.True);
    }

    [TestCase("SIGTERM", 15)]
    [TestCase("TERM", 15)]
    [TestCase("sigkill", 9)]
    [TestCase("9", 9)]
    [TestCase("SIGRTMIN+3", 37)]
    [TestCase("SIGUSR1", 10)]
    public void Signal_names_are_parsed(string name, int expected) => Assert.That(Signals.Parse(name), Is.EqualTo(expected));

    [TestCase("")]
    [TestCase("SIGNOPE")]
    [TestCase("99")]
    public void Unknown_signals_are_rejected(string name) => Assert.That(Signals.Parse(name), Is.Null);

    [Test]
    public void Every_call_starts_with_the_private_root_and_only_the_root_is_created()
    {
        var runc = new RuncClient("/usr/sbin/runc", Path.Combine(Path.GetTempPath(), "crishim-unit-runc-" + Guid.NewGuid().ToString("N")[..6]))
        {
            ExtraGlobalArgs = ["--platform=ptrace"],
        };
        try
        {
            Assert.That(runc.GlobalArgs, Is.EqualTo(new[] { "--root", runc.Root, "--platform=ptrace" }));
            Assert.That(Directory.Exists(runc.Root), Is.True);
            Assert.That(Directory.Exists(runc.Root + "-exec"), Is.False);
        }
        finally
        {
            Directory.Delete(runc.Root);
        }
    }
}
