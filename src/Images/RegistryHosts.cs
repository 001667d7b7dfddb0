using System.Net;
using CriShim.Config;

namespace CriShim.Images;

/// <summary>One place to send registry API calls: a base URL whose "/v2/..." paths serve the repository.</summary>
public sealed record RegistryEndpoint(Uri BaseUri, bool IsMirror)
{
    public Uri For(string relative) => new(BaseUri, relative);
    public override string ToString() => BaseUri.ToString().TrimEnd('/');
}

/// <summary>
/// Turns a registry host into the endpoints to try, in order: the configured mirrors, then the host itself
/// (docker.io is registry-1.docker.io; insecure and loopback hosts use plain HTTP, as containerd does).
/// </summary>
public sealed class RegistryHosts(CriShimOptions options)
{
    public IReadOnlyList<RegistryEndpoint> Resolve(string host)
    {
        var endpoints = new List<RegistryEndpoint>();
        if (options.Registry.Mirrors.TryGetValue(host, out var mirrors) ||
            (host == ImageReference.DockerHub && options.Registry.Mirrors.TryGetValue("registry-1.docker.io", out mirrors)))
        {
            foreach (var mirror in mirrors)
                if (ParseEndpoint(mirror) is { } uri) endpoints.Add(new RegistryEndpoint(uri, IsMirror: true));
        }
        var upstream = host == ImageReference.DockerHub ? "registry-1.docker.io" : host;
        var scheme = IsPlainHttp(host) || IsPlainHttp(upstream) ? "http" : "https";
        endpoints.Add(new RegistryEndpoint(new Uri($"{scheme}://{upstream}/"), IsMirror: false));
        return endpoints;
    }

    /// <summary>Configured insecure, or a loopback address (localhost, 127.0.0.0/8, ::1) on any port.</summary>
    public bool IsPlainHttp(string host)
    {
        if (options.Registry.Insecure.Any(h => string.Equals(h, host, StringComparison.OrdinalIgnoreCase) ||
                                              string.Equals(h, HostWithoutPort(host), StringComparison.OrdinalIgnoreCase)))
            return true;
        var name = HostWithoutPort(host).Trim('[', ']');
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(name, out var ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>
    /// Whether a bearer realm may receive the credentials meant for <paramref name="endpoint"/>: over HTTPS, or when it
    /// is the registry's own host, or a host itself allowed plain HTTP (configured insecure, loopback). A plain-HTTP
    /// token server elsewhere would see the password in clear.
    /// </summary>
    public bool MaySendCredentials(Uri endpoint, Uri realm) =>
        realm.Scheme == Uri.UriSchemeHttps
        || string.Equals(realm.IdnHost, endpoint.IdnHost, StringComparison.OrdinalIgnoreCase)
        || IsPlainHttp(realm.Authority);

    static string HostWithoutPort(string host)
    {
        if (host.StartsWith('[')) { var end = host.IndexOf(']'); return end > 0 ? host[..(end + 1)] : host; }
        var colon = host.LastIndexOf(':');
        return colon > 0 && host.IndexOf(':') == colon ? host[..colon] : host;
    }

    /// <summary>"http://localhost:5000", "localhost:5000" (https unless loopback/insecure), "https://m.example/v2" all work.</summary>
    Uri? ParseEndpoint(string endpoint)
    {
        var text = endpoint.Trim();
        if (text.Length == 0) return null;
        if (!text.Contains("://", StringComparison.Ordinal))
            text = (IsPlainHttp(text.Split('/')[0]) ? "http://" : "https://") + text;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)) return null;
        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/v2", StringComparison.Ordinal)) path = path[..^3];
        return new UriBuilder(uri) { Path = path + "/" }.Uri;
    }
}
