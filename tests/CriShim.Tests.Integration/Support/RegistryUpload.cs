using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace CriShim.Tests.Integration.Support;

/// <summary>
/// Pushes hand-made images to a <see cref="TestRegistry"/> over the distribution API (monolithic blob uploads, then
/// the manifest): for content no image tool would build, such as hostile layers or over-size configs.
/// </summary>
public static class RegistryUpload
{
    const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(1) };

    public static string DigestOf(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>An OCI image config for uncompressed <paramref name="layers"/>; <paramref name="padding"/> bytes of label make it big.</summary>
    public static byte[] ConfigFor(IEnumerable<byte[]> layers, int padding = 0) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        architecture = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "amd64",
        os = "linux",
        config = new { Cmd = new[] { "/bin/sh" }, Labels = new Dictionary<string, string> { ["padding"] = new string('p', padding) } },
        rootfs = new { type = "layers", diff_ids = layers.Select(DigestOf).ToArray() },
    });

    /// <summary>Uploads the blobs and the manifest of an OCI image with uncompressed layers under REPOSITORY:TAG.</summary>
    public static async Task PushImageAsync(this TestRegistry registry, string repository, string tag, byte[] config, params byte[][] layers)
    {
        await registry.PushBlobAsync(repository, config);
        foreach (var layer in layers) await registry.PushBlobAsync(repository, layer);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciManifest,
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = DigestOf(config), size = config.Length },
            layers = layers.Select(l => new { mediaType = "application/vnd.oci.image.layer.v1.tar", digest = DigestOf(l), size = l.Length }).ToArray(),
        });
        using var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(OciManifest);
        using var put = await Http.PutAsync(new Uri(registry.BaseUri, $"v2/{repository}/manifests/{tag}"), content);
        await EnsureAsync(put, HttpStatusCode.Created, $"manifest {repository}:{tag}");
    }

    public static async Task PushBlobAsync(this TestRegistry registry, string repository, byte[] blob)
    {
        using var start = await Http.PostAsync(new Uri(registry.BaseUri, $"v2/{repository}/blobs/uploads/"), null);
        await EnsureAsync(start, HttpStatusCode.Accepted, $"upload to {repository}");
        var location = new Uri(registry.BaseUri, start.Headers.Location!);
        var separator = location.Query.Length > 0 ? "&" : "?";
        using var content = new ByteArrayContent(blob);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await Http.PutAsync(new Uri(location + separator + "digest=" + Uri.EscapeDataString(DigestOf(blob))), content);
        await EnsureAsync(put, HttpStatusCode.Created, $"blob {DigestOf(blob)}");
    }

    static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        if (response.StatusCode != expected)
            throw new InvalidOperationException($"pushing {what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
