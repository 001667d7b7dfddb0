using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Polly;
using Polly.Retry;

namespace CriShim.Images;

/// <summary>A manifest or index as fetched: its bytes, media type and (verified) digest.</summary>
public sealed record FetchedManifest(string MediaType, byte[] Content, Digest Digest, RegistryEndpoint Endpoint);

/// <summary>A registry answer that may succeed when tried again (5xx, 429, timeouts, broken connections).</summary>
sealed class TransientRegistryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Talks the OCI distribution API to a registry (and its mirrors): manifests and blobs, with anonymous, basic and
/// bearer-token authentication, bounded retries (Polly) and per-request / no-progress timeouts. Whatever it reads
/// whole is bounded (<see cref="ImageLimits"/>); a pull's credentials go only to the registry they are for.
/// </summary>
public sealed class RegistryClient
{
    readonly HttpClient _http;
    readonly RegistryHosts _hosts;
    readonly ILogger<RegistryClient> _log;

    public RegistryClient(HttpClient http, RegistryHosts hosts, PullTimeouts timeouts, ILogger<RegistryClient> log)
    {
        _http = http;
        _hosts = hosts;
        _log = log;
        Timeouts = timeouts;
        Retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<TransientRegistryException>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutException>()
                    .Handle<IOException>(),
                MaxRetryAttempts = Math.Max(1, timeouts.MaxRetries),
                Delay = timeouts.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    _log.LogWarning("registry call failed ({Error}), retry {Attempt} in {Delay}",
                        args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public PullTimeouts Timeouts { get; }

    /// <summary>Retries transient failures; what is left after the last attempt becomes <see cref="ImageErrorKind.Unavailable"/>.</summary>
    public ResiliencePipeline Retry { get; }

    public RegistrySession Open(ImageReference reference, RegistryCredentials? credentials) =>
        new(this, _http, _hosts, reference, credentials, _log);

    /// <summary>Runs an operation with retries, turning exhausted transient failures into Unavailable.</summary>
    public async Task<T> WithRetryAsync<T>(string what, Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        try { return await Retry.ExecuteAsync(operation, cancellationToken); }
        catch (Exception e) when (e is TransientRegistryException or HttpRequestException or TimeoutException or IOException
                                  && !cancellationToken.IsCancellationRequested)
        {
            throw new ImageException(ImageErrorKind.Unavailable, $"{what}: {e.Message}", e);
        }
    }
}

/// <summary>The registry conversation of one pull: endpoints in order, credentials and the tokens they earned.</summary>
public sealed class RegistrySession
{
    readonly RegistryClient _client;
    readonly HttpClient _http;
    readonly RegistryHosts _hosts;
    readonly IReadOnlyList<RegistryEndpoint> _endpoints;
    readonly ImageReference _reference;
    readonly RegistryCredentials? _credentials;
    readonly ILogger _log;
    // Authorization per endpoint, learnt from challenges; reused for every later request of this pull.
    readonly Dictionary<Uri, AuthenticationHeaderValue> _authorization = new();
    readonly Lock _lock = new();
    RegistryEndpoint? _preferred;

    internal RegistrySession(RegistryClient client, HttpClient http, RegistryHosts hosts,
        ImageReference reference, RegistryCredentials? credentials, ILogger log)
    {
        _client = client;
        _http = http;
        _hosts = hosts;
        _endpoints = hosts.Resolve(reference.Domain);
        _reference = reference;
        _credentials = credentials;
        _log = log;
    }

    public IReadOnlyList<RegistryEndpoint> Endpoints => _endpoints;

    /// <summary>Fetches a manifest or index by tag or digest, trying each endpoint in order. At most
    /// <see cref="ImageLimits.MaxManifestBytes"/> are read, and no more than <paramref name="declaredSize"/> (the
    /// size an index gives it) when known.</summary>
    public async Task<FetchedManifest> GetManifestAsync(string reference, CancellationToken cancellationToken, long? declaredSize = null)
    {
        Digest? expected = Digest.TryParse(reference, out var d) ? d : null;
        if (declaredSize > ImageLimits.MaxManifestBytes)
            throw new ImageException(ImageErrorKind.TooLarge,
                $"manifest {_reference.Name}@{reference} is declared {declaredSize} bytes, over {ByteSize.Format(ImageLimits.MaxManifestBytes)}, the limit on manifests and indexes");
        var limit = declaredSize ?? ImageLimits.MaxManifestBytes;
        var limitName = declaredSize is null ? "manifests and indexes" : "this manifest (the size its index declares)";
        return await OnEndpointsAsync($"manifest {_reference.Name}:{reference}", async (endpoint, ct) =>
        {
            var uri = endpoint.For($"v2/{_reference.Path}/manifests/{reference}");
            return await _client.WithRetryAsync($"fetching manifest {_reference.Name}:{reference} from {endpoint}", async attemptCt =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(attemptCt);
                timeout.CancelAfter(_client.Timeouts.Request);
                try
                {
                    using var response = await SendAsync(endpoint, () =>
                    {
                        var request = new HttpRequestMessage(HttpMethod.Get, uri);
                        foreach (var accept in MediaTypes.ManifestAccept) request.Headers.Accept.ParseAdd(accept);
                        return request;
                    }, timeout.Token);
                    await EnsureSuccessAsync(response, $"manifest {_reference.Name}:{reference}", timeout.Token);
                    var content = await ReadLimitedAsync(response.Content, limit, $"manifest {_reference.Name}:{reference} from {endpoint}", limitName, timeout.Token);
                    var actual = Digest.Compute(content);
                    if (expected is { } want && actual != want)
                        throw new ImageException(ImageErrorKind.Corrupt, $"manifest {_reference.Name}@{want} from {endpoint} has digest {actual}");
                    var mediaType = response.Content.Headers.ContentType?.MediaType;
                    mediaType = SniffMediaType(content, mediaType);
                    return new FetchedManifest(mediaType, content, actual, endpoint);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !attemptCt.IsCancellationRequested)
                {
                    throw new TimeoutException($"no answer from {endpoint} within {_client.Timeouts.Request.TotalSeconds:0}s");
                }
            }, ct);
        }, cancellationToken);
    }

    /// <summary>
    /// Streams a blob into <paramref name="sink"/> (one attempt; the caller retries with a fresh sink).
    /// The download is abandoned when no byte arrives for <see cref="PullTimeouts.NoProgress"/>.
    /// </summary>
    public async Task CopyBlobAsync(Descriptor blob, Stream sink, CancellationToken cancellationToken)
    {
        var endpoints = _preferred is { } p ? [p, .. _endpoints.Where(e => e != p)] : _endpoints;
        Exception? last = null;
        foreach (var endpoint in endpoints)
        {
            var uri = endpoint.For($"v2/{_reference.Path}/blobs/{blob.Digest}");
            using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            watchdog.CancelAfter(_client.Timeouts.Request);
            try
            {
                using var response = await SendAsync(endpoint, () => new HttpRequestMessage(HttpMethod.Get, uri), watchdog.Token);
                await EnsureSuccessAsync(response, $"blob {blob.Digest} of {_reference.Name}", watchdog.Token);
                if (response.Content.Headers.ContentLength is { } length && length > blob.Size)
                    throw new ImageException(ImageErrorKind.TooLarge, $"blob {blob.Digest} from {endpoint} is {length} bytes, more than the {blob.Size} its descriptor declares");
                if (response.Content.Headers.ContentLength is { } shorter && shorter < blob.Size)
                    throw new ImageException(ImageErrorKind.Corrupt, $"blob {blob.Digest} from {endpoint} is {shorter} bytes, its descriptor says {blob.Size}");
                await using var body = await response.Content.ReadAsStreamAsync(watchdog.Token);
                var buffer = new byte[81920];
                while (true)
                {
                    watchdog.CancelAfter(_client.Timeouts.NoProgress);
                    var read = await body.ReadAsync(buffer, watchdog.Token);
                    if (read == 0) break;
                    await sink.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                return;
            }
            catch (OperationCanceledException) when (watchdog.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"download of blob {blob.Digest} from {endpoint} stalled");
            }
            catch (ImageException e) when (e.ImageKind is ImageErrorKind.NotFound or ImageErrorKind.Unauthorized && endpoint != endpoints[^1])
            {
                // a mirror may lack a blob it has the manifest for: ask the next endpoint
                last = e;
                _log.LogInformation("blob {Digest} not available from {Endpoint}: {Error}", blob.Digest, endpoint, e.Message);
            }
        }
        throw last ?? new ImageException(ImageErrorKind.NotFound, $"blob {blob.Digest} not found");
    }

    async Task<T> OnEndpointsAsync<T>(string what, Func<RegistryEndpoint, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        ImageException? firstFailure = null;
        foreach (var endpoint in _endpoints)
        {
            try
            {
                var result = await operation(endpoint, cancellationToken);
                _preferred ??= endpoint;
                return result;
            }
            catch (ImageException e) when (e.ImageKind is not (ImageErrorKind.Corrupt or ImageErrorKind.TooLarge) && endpoint != _endpoints[^1])
            {
                _log.LogInformation("{What} not available from {Endpoint} ({Error}); trying the next endpoint", what, endpoint, e.Message);
                firstFailure ??= e;
            }
            catch (ImageException e) when (firstFailure is not null && e.ImageKind is not (ImageErrorKind.Corrupt or ImageErrorKind.TooLarge))
            {
                // Say what the mirrors answered too: with an unreachable upstream, the mirror's answer is the useful one.
                var kind = firstFailure.ImageKind == ImageErrorKind.NotFound && e.ImageKind == ImageErrorKind.Unavailable ? ImageErrorKind.NotFound : e.ImageKind;
                throw new ImageException(kind, $"{e.Message} (mirror: {firstFailure.Message})", e);
            }
        }
        throw new InvalidOperationException("unreachable: the last endpoint rethrows");
    }

    /// <summary>Sends a request, answering one authentication challenge (basic or bearer) if the registry asks.</summary>
    async Task<HttpResponseMessage> SendAsync(RegistryEndpoint endpoint, Func<HttpRequestMessage> makeRequest, CancellationToken ct)
    {
        var request = makeRequest();
        lock (_lock) if (_authorization.TryGetValue(endpoint.BaseUri, out var auth)) request.Headers.Authorization = auth;
        var response = await SendOnceAsync(request, ct);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

        var challenges = response.Headers.WwwAuthenticate.Select(h => AuthChallenge.Parse(h.ToString())).SelectMany(c => c).ToList();
        response.Dispose();
        var authorization = await AnswerChallengeAsync(endpoint, challenges, ct);
        lock (_lock) _authorization[endpoint.BaseUri] = authorization;
        var retry = makeRequest();
        retry.Headers.Authorization = authorization;
        return await SendOnceAsync(retry, ct);
    }

    async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            try { return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct); }
            catch (HttpRequestException e) { throw new TransientRegistryException($"{request.RequestUri!.GetLeftPart(UriPartial.Authority)}: {e.Message}", e); }
        }
    }

    /// <summary>The pull's credentials are for the image's registry: a mirror (another host, another owner) gets none.</summary>
    RegistryCredentials? CredentialsFor(RegistryEndpoint endpoint) => endpoint.IsMirror ? null : _credentials;

    async Task<AuthenticationHeaderValue> AnswerChallengeAsync(RegistryEndpoint endpoint, List<AuthChallenge> challenges, CancellationToken ct)
    {
        var credentials = CredentialsFor(endpoint);
        var bearer = challenges.FirstOrDefault(c => c.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
        if (bearer is not null)
        {
            if (credentials?.RegistryToken is { } registryToken) return new AuthenticationHeaderValue("Bearer", registryToken);
            return new AuthenticationHeaderValue("Bearer", await FetchTokenAsync(endpoint, bearer, credentials, ct));
        }
        if (challenges.Any(c => c.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)))
        {
            if (credentials is { HasBasic: true } creds) return new AuthenticationHeaderValue("Basic", creds.BasicHeaderValue);
            throw new ImageException(ImageErrorKind.Unauthorized, $"{endpoint} requires a user name and password to pull {_reference.Name}");
        }
        throw new ImageException(ImageErrorKind.Unauthorized, $"{endpoint} refused access to {_reference.Name} (401) without a usable challenge");
    }

    /// <summary>The token flow of the distribution spec: GET realm (basic credentials if any) or POST realm with an identity token.</summary>
    async Task<string> FetchTokenAsync(RegistryEndpoint endpoint, AuthChallenge challenge, RegistryCredentials? credentials, CancellationToken ct)
    {
        var realm = challenge["realm"];
        if (string.IsNullOrEmpty(realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || realmUri.Scheme is not ("http" or "https"))
            throw new ImageException(ImageErrorKind.Unauthorized, $"{endpoint} sent a bearer challenge without a usable realm");
        var withheld = "";
        if (credentials is not null && !_hosts.MaySendCredentials(endpoint.BaseUri, realmUri))
        {
            _log.LogWarning("not sending credentials to plain-HTTP token server {Realm} of {Endpoint}", realmUri.GetLeftPart(UriPartial.Authority), endpoint);
            withheld = $" (credentials withheld: {realmUri.GetLeftPart(UriPartial.Authority)} is plain HTTP on another host than {endpoint}; list it in registry.insecure to allow)";
            credentials = null;
        }
        var service = challenge["service"];
        var scope = challenge["scope"] ?? $"repository:{_reference.Path}:pull";

        HttpRequestMessage request;
        if (credentials?.IdentityToken is { } refreshToken)
        {
            var form = new Dictionary<string, string>
            {
                ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["client_id"] = "crishim", ["scope"] = scope,
            };
            if (service is not null) form["service"] = service;
            request = new HttpRequestMessage(HttpMethod.Post, realmUri) { Content = new FormUrlEncodedContent(form) };
        }
        else
        {
            var query = new List<string>();
            if (service is not null) query.Add("service=" + Uri.EscapeDataString(service));
            query.Add("scope=" + Uri.EscapeDataString(scope));
            var builder = new UriBuilder(realmUri);
            builder.Query = string.Join('&', new[] { builder.Query.TrimStart('?') }.Where(q => q.Length > 0).Concat(query));
            request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
            if (credentials is { HasBasic: true } creds) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", creds.BasicHeaderValue);
        }
        using var response = await SendOnceAsync(request, ct);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new ImageException(ImageErrorKind.Unauthorized, $"token server {realmUri.GetLeftPart(UriPartial.Authority)} refused the credentials for {_reference.Name} ({(int)response.StatusCode}){withheld}");
        await EnsureSuccessAsync(response, "token", ct);
        var body = await ReadLimitedAsync(response.Content, ImageLimits.MaxTokenReplyBytes,
            $"token reply from {realmUri.GetLeftPart(UriPartial.Authority)}", "token replies", ct);
        try
        {
            using var json = JsonDocument.Parse(body);
            foreach (var name in new[] { "token", "access_token" })
                if (json.RootElement.TryGetProperty(name, out var t) && t.GetString() is { Length: > 0 } token) return token;
        }
        catch (JsonException) { }
        throw new ImageException(ImageErrorKind.Unauthorized, $"token server {realmUri.GetLeftPart(UriPartial.Authority)} answered without a token");
    }

    async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var status = (int)response.StatusCode;
        var detail = await ErrorDetailAsync(response, ct);
        var where = response.RequestMessage?.RequestUri?.GetLeftPart(UriPartial.Authority);
        var message = $"{what}: {where} answered {status} {response.ReasonPhrase}{detail}";
        throw response.StatusCode switch
        {
            HttpStatusCode.NotFound => new ImageException(ImageErrorKind.NotFound, message),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new ImageException(ImageErrorKind.Unauthorized, message),
            HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout => new TransientRegistryException(message),
            _ when status >= 500 => new TransientRegistryException(message),
            _ => new ImageException(ImageErrorKind.NotFound, message),
        };
    }

    static async Task<string> ErrorDetailAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var body = await ReadLimitedAsync(response.Content, ImageLimits.MaxErrorBodyBytes, "error body", "error bodies", ct);
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
                return ": " + string.Join("; ", errors.EnumerateArray().Select(e =>
                    $"{(e.TryGetProperty("code", out var c) ? c.GetString() : "")} {(e.TryGetProperty("message", out var m) ? m.GetString() : "")}".Trim()));
        }
        catch (Exception e) when (e is JsonException or IOException or ImageException) { }
        return "";
    }

    /// <summary>Reads a whole response of at most <paramref name="limit"/> bytes: more, announced or sent, is refused.</summary>
    static async Task<byte[]> ReadLimitedAsync(HttpContent content, long limit, string what, string limitName, CancellationToken ct)
    {
        ImageException TooLarge(string size) => new(ImageErrorKind.TooLarge, $"{what} is {size}, over {ByteSize.Format(limit)}, the limit on {limitName}");
        if (content.Headers.ContentLength > limit) throw TooLarge($"{content.Headers.ContentLength} bytes");
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) throw TooLarge("longer");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>Registries sometimes answer application/json or octet-stream: the document's own mediaType decides then.</summary>
    static string SniffMediaType(byte[] content, string? headerType)
    {
        if (MediaTypes.IsIndex(headerType) || MediaTypes.IsManifest(headerType) || MediaTypes.IsSchema1(headerType)) return headerType!;
        try
        {
            using var json = JsonDocument.Parse(content);
            var root = json.RootElement;
            if (root.TryGetProperty("mediaType", out var mt) && mt.GetString() is { Length: > 0 } declared) return declared;
            if (root.TryGetProperty("manifests", out _)) return MediaTypes.OciIndex;
            if (root.TryGetProperty("layers", out _) && root.TryGetProperty("config", out _)) return MediaTypes.OciManifest;
            if (root.TryGetProperty("fsLayers", out _)) return MediaTypes.DockerSchema1;
        }
        catch (JsonException) { }
        return headerType ?? "application/octet-stream";
    }
}
