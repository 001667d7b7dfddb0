using System.Text;
using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;

namespace CriShim.Tests.Unit.Monitor;

public sealed class ConmonTests
{
    private static readonly MonitorSettings Settings = new("conmon", "/run/crishim/conmon");
    private static readonly RuncClient Runc = new("/usr/sbin/runc", Path.Combine(Path.GetTempPath(), "crishim-conmon-tests", "runc"))
    {
        ExtraGlobalArgs = ["--systemd-cgroup"],
    };

    private static MonitorPaths PathsFor(string id) => new(
        "/run/crishim/conmon/c/" + id, "/run/crishim/conmon/c/" + id + "/conmon.pid", "/run/crishim/conmon/c/" + id + "/container.pid",
        "/run/crishim/conmon/exits/" + id, "/run/crishim/conmon/s/" + id + "/attach", "/b/ctl", "/b/winsz", "/x");

    [Test]
    public void Create_command_line_has_the_conmon_2_options_runtime_root_and_k8s_log()
    {
        var spec = new ContainerLaunchSpec("c1", "k8s_app", "/b", "/var/log/pods/p/app/0.log");
        var args = ConmonCommand.BuildCreateArgs(Settings, Runc, spec, PathsFor("c1"));
        var line = string.Join(' ', args);
        Assert.That(line, Does.Contain("-c c1 -n k8s_app -u c1 -r /usr/sbin/runc -b /b"));
        Assert.That(line, Does.Contain("-p /run/crishim/conmon/c/c1/container.pid"));
        Assert.That(line, Does.Contain("-l k8s-file:/var/log/pods/p/app/0.log"));
        Assert.That(line, Does.Contain("--exit-dir /run/crishim/conmon/exits"));
        Assert.That(line, Does.Contain("--persist-dir /run/crishim/conmon/c/c1"));
        Assert.That(line, Does.Contain("--socket-dir-path /run/crishim/conmon/s"));
        Assert.That(line, Does.Contain($"--runtime-arg --root={Runc.Root} --runtime-arg --systemd-cgroup"));
        Assert.That(args, Does.Contain("--api-version").And.Contain("--sync"));
        Assert.That(args, Does.Not.Contain("-t").And.Not.Contain("-i"));
    }

    [Test]
    public void Terminal_wins_over_stdin_and_stdin_once_closes_stdin()
    {
        var tty = ConmonCommand.BuildCreateArgs(Settings, Runc, new ContainerLaunchSpec("c", "n", "/b", "/l") { Terminal = true, Stdin = true }, PathsFor("c"));
        Assert.That(tty, Does.Contain("-t").And.Not.Contain("-i"));
        var stdin = ConmonCommand.BuildCreateArgs(Settings, Runc, new ContainerLaunchSpec("c", "n", "/b", "/l") { Stdin = true }, PathsFor("c"));
        Assert.That(stdin, Does.Contain("-i").And.Contain("--leave-stdin-open"));
        var once = ConmonCommand.BuildCreateArgs(Settings, Runc, new ContainerLaunchSpec("c", "n", "/b", "/l") { Stdin = true, StdinOnce = true }, PathsFor("c"));
        Assert.That(once, Does.Contain("-i").And.Not.Contain("--leave-stdin-open"));
    }

    [Test]
    public void Exec_command_line_uses_a_process_spec_and_the_legacy_exec_api()
    {
        var args = ConmonCommand.BuildExecArgs(Settings, Runc, "c1", "/w/process.json", "/w/pid", "/w/log");
        Assert.That(string.Join(' ', args), Does.Contain("-e --exec-process-spec /w/process.json"));
        Assert.That(args, Does.Not.Contain("--api-version"));
        Assert.That(args, Does.Not.Contain("-b"));
        Assert.That(string.Join(' ', args), Does.Contain("-p /w/pid").And.EndWith($"--runtime-arg --root={Runc.Root} --runtime-arg --systemd-cgroup"));
    }

    [Test]
    public void Interactive_exec_shares_the_runtime_flags_and_attaches_through_the_session_dir()
    {
        var args = ConmonCommand.BuildExecAttachArgs(Settings, Runc, "c1", "/x/0123abcd", "/x/0123abcd/process.json", "/x/0123abcd/exec.pid", tty: true, stdin: true);
        var line = string.Join(' ', args);
        Assert.That(line, Does.Contain("--api-version 1 --exec-attach -u 0123abcd -n 0123abcd -b /x/0123abcd -l none"));
        Assert.That(line, Does.Contain("--exit-dir /x/0123abcd/exits --socket-dir-path /x/0123abcd/s"));
        Assert.That(line, Does.Contain("-c c1 -r /usr/sbin/runc -p /x/0123abcd/exec.pid -e --exec-process-spec /x/0123abcd/process.json"));
        Assert.That(line, Does.Contain($"--runtime-arg --root={Runc.Root} --runtime-arg --systemd-cgroup"));
        Assert.That(args, Does.Contain("-t").And.Contain("-i"));
        var plain = ConmonCommand.BuildExecAttachArgs(Settings, Runc, "c1", "/x/s", "/x/s/p.json", "/x/s/pid", tty: false, stdin: false);
        Assert.That(plain, Does.Not.Contain("-t").And.Not.Contain("-i"));
    }

    [TestCase("{\"data\": 4242}\n", 4242, null)]
    [TestCase("{\"pid\": 17}", 17, null)]
    [TestCase("{\"exit_code\": 3}", 3, null)]
    [TestCase("{\"data\": -1, \"message\": \"runc create failed: exec: \\\"x\\\": not found\\n\"}", -1, "runc create failed: exec: \"x\": not found\n")]
    public void Sync_messages_are_parsed(string line, int value, string? message)
    {
        var (v, m) = ConmonCommand.ParseSyncMessage(line);
        Assert.That(v, Is.EqualTo(value));
        Assert.That(m, Is.EqualTo(message));
    }

    [TestCase("0", 0)]
    [TestCase("137\n", 137)]
    [TestCase("-1", -1)]
    [TestCase("", null)]
    [TestCase("x", null)]
    public void Exit_files_are_parsed(string text, int? code) => Assert.That(ConmonCommand.ParseExitFile(text), Is.EqualTo(code));

    [Test]
    public void Control_messages_follow_conmon_ctl_fifo_format()
    {
        Assert.That(ConmonCommand.ControlMessage(1, 24, 80), Is.EqualTo("1 24 80\n"));
        Assert.That(ConmonCommand.ControlMessage(2), Is.EqualTo("2 0 0\n"));
    }

    [Test]
    public void Shell_quoting_survives_single_quotes() =>
        Assert.That(ConmonCommand.ShellQuote("/a b/it's"), Is.EqualTo("'/a b/it'\\''s'"));

    [Test]
    public void Cri_log_lines_are_split_back_into_streams_with_partial_lines_joined()
    {
        var log = """
            2024-05-01T10:20:30.000000001Z stdout F hello
            2024-05-01T10:20:30.000000002Z stderr F oops
            2024-05-01T10:20:30.000000003Z stdout P par
            2024-05-01T10:20:30.000000004Z stdout F tial
            2024-05-01T10:20:30.000000005Z stdout F 
            2024-05-01T10:20:30.000000006Z stdout P end
            """.Replace("\r", "") + "\n";
        var (stdout, stderr, truncated) = CriLog.Split(Encoding.UTF8.GetBytes(log));
        Assert.That(Encoding.UTF8.GetString(stdout), Is.EqualTo("hello\npartial\n\nend"));
        Assert.That(Encoding.UTF8.GetString(stderr), Is.EqualTo("oops\n"));
        Assert.That(truncated, Is.False);
    }

    [Test]
    public void Cri_log_split_caps_both_streams_together_first_come_first_kept()
    {
        var log = "2024-05-01T10:20:30Z stderr F ab\n2024-05-01T10:20:30Z stdout F 0123456789\n2024-05-01T10:20:30Z stderr F cd\n";
        var (stdout, stderr, truncated) = CriLog.Split(Encoding.UTF8.GetBytes(log), max: 6);
        Assert.That(Encoding.UTF8.GetString(stderr), Is.EqualTo("ab\n"));
        Assert.That(Encoding.UTF8.GetString(stdout), Is.EqualTo("012"));
        Assert.That(truncated, Is.True);
    }
}
