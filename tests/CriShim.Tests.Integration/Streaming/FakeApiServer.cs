using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Web;
using CriShim.Streaming;

namespace CriShim.Tests.Integration.Streaming;

/// <summary>
/// Just enough of a Kubernetes API server for kubectl exec/attach/port-forward: discovery, one running pod,
/// and the streaming subresources, which — like the kubelet — it proxies byte for byte to a fresh URL of our
/// streaming server. It lets the real Go clients in kubectl (SPDY, WebSocket, SPDY-in-WebSocket) talk to us.
/// </summary>
sealed class FakeApiServer : IAsyncDisposable
{
    public const string PodName = "busybox";
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource _stop = new();
    readonly Func<StreamRequest> _attachRequest;
    Task? _accepting;

    public FakeApiServer(Func<StreamRequest>? attachRequest = null) => _attachRequest = attachRequest ?? (() => throw new InvalidOperationException("no attach target"));

    /// <summary>Answers attach requests with this request from now on.</summary>
    public Func<StreamRequest>? AttachTarget { get; set; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public List<string> Requests { get; } = [];

    public string WriteKubeconfig(string dir)
    {
        var path = Path.Combine(dir, $"kubeconfig-{Port}");
        File.WriteAllText(path, string.Join('\n',
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: fake",
            "  cluster:",
            $"    server: http://127.0.0.1:{Port}",
            "users:",
            "- name: fake",
            "  user: {}",
            "contexts:",
            "- name: fake",
            "  context:",
            "    cluster: fake",
            "    user: fake",
            "    namespace: default",
            "current-context: fake", ""));
        return path;
    }

    public void Start()
    {
        _listener.Start();
        _accepting = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (OperationCanceledException) { return; }
                _ = Task.Run(() => ServeAsync(client));
            }
        });
    }

    async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        try
        {
            while (true)
            {
                var head = await SpdyTestClient.ReadHeadAsync(stream);
                var lines = head.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
                var parts = lines[0].Split(' ');
                var target = new Uri("http://x" + parts[1]);
                string Header(string name) => lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?.Split(':', 2)[1].Trim() ?? "";
                lock (Requests) Requests.Add($"{parts[0]} {target.AbsolutePath} upgrade={Header("Upgrade")} protocols={Header("Sec-WebSocket-Protocol")}{Header("X-Stream-Protocol-Version")}");
                var length = lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))?.Split(':')[1].Trim();
                if (int.TryParse(length, out var n) && n > 0) await stream.ReadExactlyAsync(new byte[n]);

                var segments = target.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
                if (segments is ["api", "v1", "namespaces", _, "pods", PodName, var sub] && sub is "exec" or "attach" or "portforward")
                {
                    await ProxyAsync(stream, parts[0], lines.Skip(1), sub, HttpUtility.ParseQueryString(target.Query));
                    return;
                }
                var (status, body) = Answer(target.AbsolutePath);
                var bytes = Encoding.UTF8.GetBytes(body);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n"));
                await stream.WriteAsync(bytes);
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or SocketException or ObjectDisposedException) { }
    }

    async Task ProxyAsync(NetworkStream from, string method, IEnumerable<string> headers, string sub, System.Collections.Specialized.NameValueCollection query)
    {
        bool Flag(string name) => query[name] is "true" or "1";
        StreamRequest request = sub switch
        {
            "exec" => new ExecStreamRequest(StreamingFixture.Container, query.GetValues("command") ?? [], Flag("tty"), Flag("stdin"), Flag("stdout"), Flag("stderr") && !Flag("tty")),
            "attach" => (AttachTarget ?? _attachRequest)(),
            _ => new PortForwardStreamRequest(StreamingFixture.Pod, (query.GetValues("ports") ?? []).Select(int.Parse).ToList()),
        };
        var url = new Uri(StreamingFixture.Server.UrlFor(request));
        using var upstream = new TcpClient();
        await upstream.ConnectAsync(url.Host, url.Port);
        var to = upstream.GetStream();
        var forwarded = new StringBuilder($"{method} {url.AbsolutePath}{(query.Count > 0 ? "?" + query : "")} HTTP/1.1\r\n");
        foreach (var header in headers.Where(h => !h.StartsWith("Host:", StringComparison.OrdinalIgnoreCase)))
            forwarded.Append(header).Append("\r\n");
        forwarded.Append($"Host: {url.Authority}\r\n\r\n");
        await to.WriteAsync(Encoding.ASCII.GetBytes(forwarded.ToString()));
        var up = from.CopyToAsync(to);
        var down = to.CopyToAsync(from);
        await Task.WhenAny(up, down);
        // One side closed: let the other drain briefly, then tear both down (as a proxy does).
        await Task.WhenAny(Task.WhenAll(up, down), Task.Delay(2000));
    }

    static (string Status, string Body) Answer(string path) => path switch
    {
        "/api" => ("200 OK", """{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}"""),
        "/apis" => ("200 OK", """{"kind":"APIGroupList","apiVersion":"v1","groups":[]}"""),
        "/api/v1" => ("200 OK", """
            {"kind":"APIResourceList","groupVersion":"v1","resources":[
             {"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["get","list"],"shortNames":["po"]},
             {"name":"pods/attach","singularName":"","namespaced":true,"kind":"PodAttachOptions","verbs":["create","get"]},
             {"name":"pods/exec","singularName":"","namespaced":true,"kind":"PodExecOptions","verbs":["create","get"]},
             {"name":"pods/portforward","singularName":"","namespaced":true,"kind":"PodPortForwardOptions","verbs":["create","get"]}]}
            """),
        "/version" => ("200 OK", """{"major":"1","minor":"32","gitVersion":"v1.32.0"}"""),
        "/api/v1/namespaces/default/pods/" + PodName => ("200 OK", """
            {"kind":"Pod","apiVersion":"v1","metadata":{"name":"busybox","namespace":"default","uid":"6d4c8a9e-0000-4000-8000-000000000001"},
             "spec":{"containers":[{"name":"ctr","image":"busybox","stdin":true,"tty":true}]},
             "status":{"phase":"Running","containerStatuses":[{"name":"ctr","ready":true,"restartCount":0,"image":"busybox","imageID":"","state":{"running":{}}}]}}
            """),
        _ => ("404 Not Found", """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}"""),
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        if (_accepting is not null) await _accepting;
    }
}
