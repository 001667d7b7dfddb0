using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CriShim.Tests.Unit.Images;

/// <summary>
/// A tiny OCI registry on loopback (HttpListener) for protocol tests: serves manifests and blobs from memory and can
/// require a bearer token (issued by its own /token endpoint) or answer with scripted failures.
/// </summary>
sealed class FakeRegistry : IDisposable
{
    readonly HttpListener _listener = new();
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    /// <param name="allAddresses">listen on every address, not only loopback (to stand for another host)</param>
    public FakeRegistry(bool allAddresses = false)
    {
        // HttpListener has no port 0: try free ports until one binds.
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add(allAddresses ? $"http://*:{Port}/" : $"http://127.0.0.1:{Port}/");
            try { _listener.Start(); break; }
            catch (HttpListenerException) when (attempt < 10) { }
        }
        _loop = Task.Run(ServeAsync);
    }

    public int Port { get; }
    public string Host => $"127.0.0.1:{Port}";
    /// <summary>path -> (content type, body); e.g. "/v2/repo/manifests/tag".</summary>
    public ConcurrentDictionary<string, (string ContentType, byte[] Body)> Content { get; } = new();
    /// <summary>When set, every /v2/ request needs "Authorization: Bearer TOKEN".</summary>
    public string? RequiredToken { get; set; }
    /// <summary>When set, /token requires these basic credentials.</summary>
    public (string User, string Password)? TokenCredentials { get; set; }
    /// <summary>Status codes answered (in order) before serving normally.</summary>
    public ConcurrentQueue<HttpStatusCode> Failures { get; } = new();
    /// <summary>The identity (refresh) token a POST to /token must present.</summary>
    public string? RefreshToken { get; set; }
    /// <summary>Blob requests get headers and one byte, then nothing for seconds.</summary>
    public bool StallBlobs { get; set; }
    public ConcurrentQueue<string> Requests { get; } = new();
    public string? LastTokenQuery { get; private set; }
    /// <summary>The Authorization header of every /token request ("" when there was none).</summary>
    public ConcurrentQueue<string> TokenAuthorizations { get; } = new();
    /// <summary>When set, the bearer challenge names this realm instead of this registry's own /token.</summary>
    public string? Realm { get; set; }
    /// <summary>When set, /token answers this body instead of the token.</summary>
    public byte[]? TokenReply { get; set; }
    /// <summary>Paths answered without a Content-Length (chunked), so only the bytes tell the size.</summary>
    public ConcurrentDictionary<string, bool> Chunked { get; } = new();
    /// <summary>Every answer waits this long first (to make concurrent pulls overlap).</summary>
    public TimeSpan Delay { get; set; }
    /// <summary>Paths whose body is sent half, then the rest after this long (a slow download in progress).</summary>
    public ConcurrentDictionary<string, TimeSpan> Trickle { get; } = new();
    /// <summary>The most blob requests that were being answered at one time.</summary>
    public int MaxConcurrentBlobs => _maxBlobs;
    int _blobs, _maxBlobs;

    async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            catch (ObjectDisposedException) { return; }
            // each request on its own task: a stalled answer must not hold up the others
            _ = Task.Run(async () =>
            {
                try { await HandleAsync(context); }
                catch (Exception) { try { context.Response.StatusCode = 500; } catch (InvalidOperationException) { } }
                finally { try { context.Response.Close(); } catch (Exception) { } }
            });
        }
    }

    async Task HandleAsync(HttpListenerContext context)
    {
        if (!context.Request.Url!.AbsolutePath.Contains("/blobs/"))
        {
            await AnswerAsync(context);
            return;
        }
        var now = Interlocked.Increment(ref _blobs);
        for (var max = _maxBlobs; now > max; max = _maxBlobs) Interlocked.CompareExchange(ref _maxBlobs, now, max);
        try { await AnswerAsync(context); }
        finally { Interlocked.Decrement(ref _blobs); }
    }

    async Task AnswerAsync(HttpListenerContext context)
    {
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
        if (Trickle.TryGetValue(context.Request.Url!.AbsolutePath, out var pause) && Content.TryGetValue(context.Request.Url.AbsolutePath, out var slow))
        {
            Requests.Enqueue($"{context.Request.HttpMethod} {context.Request.Url.AbsolutePath}");
            context.Response.ContentType = slow.ContentType;
            context.Response.ContentLength64 = slow.Body.Length;
            var half = slow.Body.Length / 2;
            await context.Response.OutputStream.WriteAsync(slow.Body.AsMemory(0, half));
            await context.Response.OutputStream.FlushAsync();
            await Task.Delay(pause, _stop.Token);
            await context.Response.OutputStream.WriteAsync(slow.Body.AsMemory(half));
            return;
        }
        if (StallBlobs && context.Request.Url!.AbsolutePath.Contains("/blobs/"))
        {
            // headers and a first byte, then silence
            context.Response.ContentLength64 = 100;
            context.Response.OutputStream.Write([1]);
            context.Response.OutputStream.Flush();
            await Task.Delay(TimeSpan.FromSeconds(3), _stop.Token).ContinueWith(_ => { });
            return;
        }
        Handle(context);
    }

    void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var path = request.Url!.AbsolutePath;
        Requests.Enqueue($"{request.HttpMethod} {path}");
        if (path == "/token")
        {
            LastTokenQuery = request.Url.Query;
            TokenAuthorizations.Enqueue(request.Headers["Authorization"] ?? "");
            if (request.HttpMethod == "POST")
            {
                // OAuth2 refresh-token grant (an identity token)
                var form = new StreamReader(request.InputStream).ReadToEnd();
                LastTokenQuery = form;
                if (RefreshToken is null || !form.Contains("refresh_token=" + Uri.EscapeDataString(RefreshToken))) { response.StatusCode = 401; return; }
                Write(response, "application/json", Encoding.UTF8.GetBytes($"{{\"access_token\":\"{RequiredToken}\"}}"));
                return;
            }
            if (TokenCredentials is { } creds)
            {
                var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{creds.User}:{creds.Password}"));
                if (request.Headers["Authorization"] != expected) { response.StatusCode = 401; return; }
            }
            Write(response, "application/json", TokenReply ?? Encoding.UTF8.GetBytes($"{{\"token\":\"{RequiredToken}\"}}"));
            return;
        }
        if (Failures.TryDequeue(out var failure)) { response.StatusCode = (int)failure; return; }
        if (RequiredToken is not null && request.Headers["Authorization"] != "Bearer " + RequiredToken)
        {
            response.StatusCode = 401;
            response.AddHeader("WWW-Authenticate",
                $"Bearer realm=\"{Realm ?? $"http://{Host}/token"}\",service=\"fake-registry\",scope=\"repository:{path.Split('/')[2]}:pull\"");
            return;
        }
        if (Content.TryGetValue(path, out var item))
        {
            if (Chunked.ContainsKey(path))
            {
                response.ContentType = item.ContentType;
                response.SendChunked = true;
                response.OutputStream.Write(item.Body);
                return;
            }
            Write(response, item.ContentType, item.Body);
            return;
        }
        response.StatusCode = 404;
        Write(response, "application/json", """{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"""u8.ToArray());
    }

    static void Write(HttpListenerResponse response, string contentType, byte[] body)
    {
        response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        response.OutputStream.Write(body);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
