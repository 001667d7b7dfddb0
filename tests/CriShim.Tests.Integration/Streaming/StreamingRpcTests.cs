using CriShim.Errors;
using System.Text;
using CriShim.Cri;
using CriShim.Streaming;
using CriShim.Streaming.PortForward;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Runtime.V1;
using static CriShim.Tests.Integration.Streaming.StreamingFixture;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>The CRI Exec/Attach/PortForward RPCs: validation, lookups, and URLs that lead to working sessions.</summary>
public class StreamingRpcTests
{
    sealed class Targets : IStreamingTargets
    {
        public Task<ContainerTarget?> FindRunningContainerAsync(string containerId, CancellationToken ct) =>
            Task.FromResult(containerId == ContainerId ? StreamingFixture.Container : null);
        public Task<PodTarget?> FindReadyPodAsync(string podSandboxId, CancellationToken ct) =>
            Task.FromResult(podSandboxId == Pod.Id ? Pod : null);
    }

    sealed class CallContext : ServerCallContext
    {
        protected override string MethodCore => "/runtime.v1.RuntimeService/Test";
        protected override string HostCore => "localhost";
        protected override string PeerCore => "unix:";
        protected override DateTime DeadlineCore => DateTime.MaxValue;
        protected override Metadata RequestHeadersCore => [];
        protected override CancellationToken CancellationTokenCore => CancellationToken.None;
        protected override Metadata ResponseTrailersCore => [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore => new(null, []);
        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();
        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }

    static StreamingRpcs Handler(StreamingServer? server = null) => new(server ?? Server, new Targets());

    static ErrorKind CodeOf(AsyncTestDelegate call) => Assert.ThrowsAsync<DomainException>(call)!.Kind;

    [Test]
    public async Task Exec_answers_a_url_on_the_streaming_server_that_runs_the_command()
    {
        var request = new ExecRequest { ContainerId = ContainerId, Stdout = true, Cmd = { "echo", "from the rpc" } };
        var response = await Handler().Exec(request, new CallContext());
        Assert.That(response.Url, Does.StartWith(Server.BaseUrl + "exec/"));

        await using var client = await SpdyTestClient.ConnectAsync(response.Url, "v4.channel.k8s.io");
        var error = await client.OpenAsync(("streamType", "error"));
        var stdout = await client.OpenAsync(("streamType", "stdout"));
        Assert.That(Encoding.UTF8.GetString(await SpdyTestClient.ReadAllAsync(stdout)), Is.EqualTo("from the rpc\n"));
        await SpdyTestClient.ReadAllAsync(error);
    }

    [Test]
    public void Exec_with_tty_and_stderr_is_an_invalid_argument()
    {
        var request = new ExecRequest { ContainerId = ContainerId, Tty = true, Stderr = true, Stdout = true, Cmd = { "sh" } };
        Assert.That(CodeOf(() => Handler().Exec(request, new CallContext())), Is.EqualTo(ErrorKind.InvalidArgument));
    }

    [Test]
    public void Exec_needs_a_command_and_at_least_one_stream()
    {
        Assert.That(CodeOf(() => Handler().Exec(new ExecRequest { ContainerId = ContainerId, Stdout = true }, new CallContext())), Is.EqualTo(ErrorKind.InvalidArgument));
        Assert.That(CodeOf(() => Handler().Exec(new ExecRequest { ContainerId = ContainerId, Cmd = { "true" } }, new CallContext())), Is.EqualTo(ErrorKind.InvalidArgument));
    }

    [Test]
    public void Exec_and_attach_in_an_unknown_or_stopped_container_are_not_found()
    {
        Assert.That(CodeOf(() => Handler().Exec(new ExecRequest { ContainerId = "nope", Stdout = true, Cmd = { "true" } }, new CallContext())), Is.EqualTo(ErrorKind.NotFound));
        Assert.That(CodeOf(() => Handler().Attach(new AttachRequest { ContainerId = "nope", Stdout = true }, new CallContext())), Is.EqualTo(ErrorKind.NotFound));
    }

    [Test]
    public async Task Port_forward_answers_a_url_for_a_ready_pod_and_refuses_unknown_pods_and_bad_ports()
    {
        var response = await Handler().PortForward(new PortForwardRequest { PodSandboxId = Pod.Id, Port = { 8080 } }, new CallContext());
        Assert.That(response.Url, Does.StartWith(Server.BaseUrl + "portforward/"));
        Assert.That(CodeOf(() => Handler().PortForward(new PortForwardRequest { PodSandboxId = "nope" }, new CallContext())), Is.EqualTo(ErrorKind.NotFound));
        Assert.That(CodeOf(() => Handler().PortForward(new PortForwardRequest { PodSandboxId = Pod.Id, Port = { 70000 } }, new CallContext())), Is.EqualTo(ErrorKind.InvalidArgument));
    }

    [Test]
    public async Task Too_many_outstanding_urls_are_resource_exhausted()
    {
        await using var small = new StreamingServer(new StreamingServerOptions { MaxOutstandingRequests = 1, ScratchDir = Path.Combine(Dir, "exec") },
            new NetNsPodDialer(), Logs, TimeProvider.System);
        await small.StartAsync(CancellationToken.None);
        var handler = Handler(small);
        var request = new AttachRequest { ContainerId = ContainerId, Stdout = true };
        await handler.Attach(request, new CallContext());
        Assert.That(CodeOf(() => handler.Attach(request, new CallContext())), Is.EqualTo(ErrorKind.ResourceExhausted));
    }
}
