using Grpc.Core;
using Runtime.V1;

namespace CriShim.Tests.Integration.Lifecycle;

/// <summary>Requests that would reach outside the pod are refused with InvalidArgument (or NotFound) naming the field,
/// and leave nothing behind.</summary>
[TestFixture]
public class RequestRefusalTests : LifecycleFixture
{
    async Task<RpcException> RunPodRefusalAsync(PodSandboxConfig config)
    {
        var before = (await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items.Count;
        var e = Assert.ThrowsAsync<RpcException>(() => Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config }).ResponseAsync)!;
        Assert.That((await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest())).Items, Has.Count.EqualTo(before), "a refused pod is not listed");
        return e;
    }

    [Test]
    public async Task A_hostname_that_is_a_path_is_refused()
    {
        var e = await RunPodRefusalAsync(PodConfig(Unique("host"), c => c.Hostname = "../../etc"));
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("hostname"));
    }

    [Test]
    public async Task An_empty_hostname_still_defaults_and_a_host_network_pods_hostname_is_not_checked()
    {
        var (pod, config) = await RunPodAsync(Unique("nohost"), c => c.Hostname = "");
        Assert.That(pod, Is.Not.Empty);
        var (hostPod, _) = await RunPodAsync(Unique("hostnet"), c =>
        {
            c.Hostname = "Node_1";
            c.Linux.SecurityContext.NamespaceOptions.Network = NamespaceMode.Node;
        });
        Assert.That(hostPod, Is.Not.Empty);
    }

    [TestCase("name")]
    [TestCase("namespace")]
    [TestCase("uid")]
    public async Task Metadata_that_would_inject_cni_args_is_refused_naming_the_field(string field)
    {
        // IP=... in CNI_ARGS would make host-local hand out the address the pod picked.
        const string injection = ";IP=10.97.0.250";
        var e = await RunPodRefusalAsync(PodConfig(Unique("cni"), c =>
        {
            if (field == "name") c.Metadata.Name += injection;
            else if (field == "namespace") c.Metadata.Namespace += injection;
            else c.Metadata.Uid += injection;
        }));
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("metadata." + field));
    }

    [Test]
    public async Task A_container_cannot_take_the_host_network_in_a_pod_network_pod()
    {
        var (pod, config) = await RunPodAsync(Unique("hnet"));
        var container = ContainerConfig("c", "sleep", "1000");
        container.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Node, Pid = NamespaceMode.Container };
        var e = Assert.ThrowsAsync<RpcException>(() => CreateAsync(pod, config, container))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("namespace_options.network"));

        // Asking for its own network namespace still lands in the pod's: it sees the pod's eth0 address.
        container.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Container, Pid = NamespaceMode.Container };
        var id = await StartAsync(pod, config, container);
        var podIp = (await Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = pod })).Status.Network.Ip;
        Assert.That(await ExecTextAsync(id, "ip", "-o", "-4", "addr", "show"), Does.Contain(podIp + "/"));
    }

    [Test]
    public async Task A_container_cannot_take_the_host_pid_namespace_in_a_pod_without_it()
    {
        var (pod, config) = await RunPodAsync(Unique("hpid"));
        var container = ContainerConfig("c", "sleep", "1000");
        container.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Pid = NamespaceMode.Node };
        var e = Assert.ThrowsAsync<RpcException>(() => CreateAsync(pod, config, container))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(e.Status.Detail, Does.Contain("namespace_options.pid"));
        Assert.That((await Runtime.ListContainersAsync(new ListContainersRequest())).Containers.Where(c => c.PodSandboxId == pod), Is.Empty);
    }

    [Test]
    public async Task A_target_pid_namespace_must_be_a_live_container_of_the_same_pod()
    {
        var (pod, config) = await RunPodAsync(Unique("tgt"));
        var (other, otherConfig) = await RunPodAsync(Unique("tgto"));
        var foreign = await StartAsync(other, otherConfig, ContainerConfig("foreign", "sleep", "1000"));
        var target = await StartAsync(pod, config, ContainerConfig("target", "sleep", "2000"));
        var exited = await StartAsync(pod, config, ContainerConfig("exited", "true"));
        await WaitExitedAsync(exited);

        ContainerConfig Joining(string targetId)
        {
            var c = ContainerConfig("joiner-" + Guid.NewGuid().ToString("N")[..6], "sleep", "1000");
            c.Linux.SecurityContext.NamespaceOptions = new NamespaceOption { Pid = NamespaceMode.Target, TargetId = targetId };
            return c;
        }
        async Task<RpcException> Refused(string targetId) => Assert.ThrowsAsync<RpcException>(() => CreateAsync(pod, config, Joining(targetId)))!;

        var e = await Refused(foreign);
        Assert.That((e.StatusCode, e.Status.Detail.Contains("target_id")), Is.EqualTo((StatusCode.InvalidArgument, true)), e.Status.Detail);
        e = await Refused("0123456789abcdef-no-such-container");
        Assert.That((e.StatusCode, e.Status.Detail.Contains("target_id")), Is.EqualTo((StatusCode.NotFound, true)), e.Status.Detail);
        e = await Refused(exited);
        Assert.That((e.StatusCode, e.Status.Detail.Contains("target_id")), Is.EqualTo((StatusCode.InvalidArgument, true)), e.Status.Detail);

        var joiner = await StartAsync(pod, config, Joining(target));
        Assert.That(await ExecTextAsync(joiner, "ps", "-o", "args"), Does.Contain("sleep 2000"));
    }
}
