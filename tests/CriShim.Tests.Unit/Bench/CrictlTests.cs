using System.Text.Json;
using CriShim.Bench.Crictl;
using CriShim.Bench.Kubelet;
using Runtime.V1;

namespace CriShim.Tests.Unit.Bench;

public sealed class CrictlTests
{
    [Test]
    public void An_explicit_crictl_path_wins_over_path_and_the_fallback()
    {
        var found = CrictlLocator.Find("/x/crictl", "/usr/bin", _ => true);
        Assert.That(found.Path, Is.EqualTo("/x/crictl"));
    }

    [Test]
    public void An_explicit_crictl_path_that_is_missing_finds_nothing_rather_than_another_crictl()
    {
        var found = CrictlLocator.Find("/x/crictl", "/usr/bin", p => p != "/x/crictl");
        Assert.That(found.Path, Is.Null);
        Assert.That(found.Searched, Does.Contain("/x/crictl"));
    }

    [Test]
    public void Crictl_on_path_comes_before_the_opt_critools_fallback()
    {
        var found = CrictlLocator.Find(null, "/nothing:/usr/local/bin", p => p is "/usr/local/bin/crictl" or CrictlLocator.Fallback);
        Assert.That(found.Path, Is.EqualTo("/usr/local/bin/crictl"));
    }

    [Test]
    public void Without_crictl_on_path_the_opt_critools_build_is_used_and_without_either_none()
    {
        Assert.That(CrictlLocator.Find(null, "/usr/bin", p => p == CrictlLocator.Fallback).Path, Is.EqualTo(CrictlLocator.Fallback));
        var none = CrictlLocator.Find(null, "/usr/bin", _ => false);
        Assert.That(none.Path, Is.Null);
        Assert.That(none.Searched, Does.Contain(CrictlLocator.Fallback));
    }

    [Test]
    public void Configs_for_crictl_use_proto_field_names_numeric_enums_and_int64_numbers()
    {
        var node = new NodeLayout("cg", "/logs", "/kubelet", 8L << 30, ["2MB"]);
        var pod = KubeletSpecs.Pod(node, "p", "uid-1", DateTime.UnixEpoch);
        var container = KubeletSpecs.Container(node, pod, "work", "sha256:abc", KubeletSpecs.StoppableSleep, "id");
        using var podJson = JsonDocument.Parse(CrictlJson.Write(pod));
        using var ctrJson = JsonDocument.Parse(CrictlJson.Write(container));

        var linux = podJson.RootElement.GetProperty("linux");
        Assert.That(linux.GetProperty("cgroup_parent").GetString(), Is.EqualTo("/cg/kubepods/burstable/poduid-1"));
        Assert.That(podJson.RootElement.GetProperty("log_directory").GetString(), Does.StartWith("/logs/"));
        Assert.That(podJson.RootElement.GetProperty("labels").GetProperty("io.kubernetes.pod.uid").GetString(), Is.EqualTo("uid-1"));
        var ns = linux.GetProperty("security_context").GetProperty("namespace_options");
        Assert.That(ns.GetProperty("pid").GetInt32(), Is.EqualTo((int)NamespaceMode.Container));
        Assert.That(ns.TryGetProperty("network", out _), Is.False, "POD (0) is the default and left out, as Go's omitempty does");

        var resources = ctrJson.RootElement.GetProperty("linux").GetProperty("resources");
        Assert.That(resources.GetProperty("memory_limit_in_bytes").ValueKind, Is.EqualTo(JsonValueKind.Number));
        Assert.That(resources.GetProperty("memory_limit_in_bytes").GetInt64(), Is.EqualTo(KubeletSpecs.MemoryLimitBytes));
        Assert.That(resources.GetProperty("hugepage_limits")[0].GetProperty("page_size").GetString(), Is.EqualTo("2MB"));
        var env = ctrJson.RootElement.GetProperty("envs").EnumerateArray().First();
        Assert.That(env.GetProperty("value").GetString(), Is.EqualTo("10.96.0.1"), "env values are text, as the upstream string field");
        Assert.That(ctrJson.RootElement.GetProperty("log_path").GetString(), Is.EqualTo("work/0.log"));
        Assert.That(ctrJson.RootElement.GetProperty("linux").GetProperty("security_context").GetProperty("run_as_user").ValueKind,
            Is.EqualTo(JsonValueKind.Object), "a set message with default content still appears");
    }
}
