using CriShim.Errors;
using CriShim.Cri;
using CriShim.Pods;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Unit.Pods;

public sealed class PodConfigValidatorTests
{
    static PodSandboxConfig Config(Action<PodSandboxConfig>? change = null)
    {
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = "web-0", Namespace = "default", Uid = "0b5c5e8e-3f7a-4c1e-9d27-6c0f6a1b2c3d" },
            Hostname = "web-0",
        };
        change?.Invoke(config);
        return config;
    }

    static string RefusalOf(PodSandboxConfig config)
    {
        var e = Assert.Throws<DomainException>(() => PodConfigValidator.Validate(config))!;
        Assert.That(e.Kind, Is.EqualTo(ErrorKind.InvalidArgument));
        return e.Message;
    }

    [Test]
    public void What_kubelet_sends_is_accepted()
    {
        Assert.DoesNotThrow(() => PodConfigValidator.Validate(Config()));
        Assert.DoesNotThrow(() => PodConfigValidator.Validate(Config(c => { c.Metadata.Name = "kube-proxy-x7k2p.node-1"; c.Metadata.Uid = "d41d8cd98f00b204e9800998ecf8427e"; })));
        Assert.DoesNotThrow(() => PodConfigValidator.Validate(Config(c => c.Hostname = "web-0.web.default.svc.cluster.local")));
        // critest's names: mixed case is harmless in CNI_ARGS and on disk.
        Assert.DoesNotThrow(() => PodConfigValidator.Validate(Config(c =>
        {
            c.Metadata.Name = "PodSandbox-for-test-stop-6b1d2a3c-0e4f-11ee-be56-0242ac120002";
            c.Metadata.Namespace = "cri-test-namespace6b1d2a3c-0e4f-11ee-be56-0242ac120002";
            c.Hostname = "Test-Hostname";
        })));
    }

    [TestCase("../../etc")]
    [TestCase("web\n10.0.0.1 evil")]
    [TestCase("-web")]
    [TestCase("web..x")]
    [TestCase("a_b")]
    public void A_hostname_that_is_not_a_dns_name_is_refused_naming_the_field(string hostname) =>
        Assert.That(RefusalOf(Config(c => c.Hostname = hostname)), Does.Contain("hostname"));

    [Test]
    public void A_hostname_longer_than_the_kernel_holds_is_refused() =>
        Assert.That(RefusalOf(Config(c => c.Hostname = new string('a', 60) + ".abcd")), Does.Contain("hostname").And.Contain("64"));

    [Test]
    public void An_empty_hostname_and_any_hostname_of_a_host_network_pod_are_accepted()
    {
        Assert.DoesNotThrow(() => PodConfigValidator.Validate(Config(c => c.Hostname = "")));
        Assert.DoesNotThrow(() => PodConfigValidator.Validate(Config(c =>
        {
            c.Hostname = "Node_1";
            c.Linux = new LinuxPodSandboxConfig { SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Node } } };
        })));
    }

    [TestCase("metadata.name", "p;IP=10.97.0.250")]
    [TestCase("metadata.name", "p=1")]
    [TestCase("metadata.name", "p/../x")]
    [TestCase("metadata.namespace", "ns;IP=10.97.0.250")]
    [TestCase("metadata.namespace", "-ns")]
    [TestCase("metadata.uid", "u;IP=10.97.0.250")]
    [TestCase("metadata.uid", "u 1")]
    public void Metadata_that_could_inject_into_cni_args_is_refused_naming_the_field(string field, string value)
    {
        var config = Config(c =>
        {
            if (field == "metadata.name") c.Metadata.Name = value;
            else if (field == "metadata.namespace") c.Metadata.Namespace = value;
            else c.Metadata.Uid = value;
        });
        Assert.That(RefusalOf(config), Does.Contain(field));
    }

    [TestCase("metadata.name")]
    [TestCase("metadata.namespace")]
    [TestCase("metadata.uid")]
    public void Empty_metadata_is_refused_naming_the_field(string field)
    {
        var config = Config(c =>
        {
            if (field == "metadata.name") c.Metadata.Name = "";
            else if (field == "metadata.namespace") c.Metadata.Namespace = "";
            else c.Metadata.Uid = "";
        });
        Assert.That(RefusalOf(config), Does.Contain(field).And.Contain("empty"));
    }

    [Test]
    public void Names_longer_than_kubernetes_allows_are_refused_with_the_limit()
    {
        Assert.That(RefusalOf(Config(c => c.Metadata.Namespace = new string('a', 64))), Does.Contain("metadata.namespace").And.Contain("63"));
        Assert.That(RefusalOf(Config(c => c.Metadata.Name = new string('a', 254))), Does.Contain("metadata.name").And.Contain("253"));
    }
}
