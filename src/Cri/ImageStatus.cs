using System.Text.Json;
using System.Text.Json.Nodes;
using CriShim.Images;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

public sealed partial class ImageServiceHandler
{
    /// <summary>An unknown image is an empty response, not an error (kubelet and critest rely on it).</summary>
    public override async Task<ImageStatusResponse> ImageStatus(ImageStatusRequest request, ServerCallContext context)
    {
        var reference = RequireImage(request.Image);
        var image = store.Resolve(reference);
        var response = new ImageStatusResponse();
        if (image is null) return response;
        response.Image = ToCri(image);
        if (request.Verbose) response.Info["info"] = await VerboseInfoAsync(image, context.CancellationToken);
        return response;
    }

    /// <summary>Like containerd: the image config (imageSpec) plus where its parts are on disk.</summary>
    async Task<string> VerboseInfoAsync(ImageRecord image, CancellationToken ct)
    {
        JsonNode? spec = null;
        var configPath = Path.Combine(store.Paths.Blobs, "sha256", Digest.Parse(image.Id).Hex);
        if (File.Exists(configPath)) spec = JsonNode.Parse(await File.ReadAllBytesAsync(configPath, ct));
        var info = new JsonObject
        {
            ["imageSpec"] = spec,
            ["manifestDigest"] = image.ManifestDigest,
            ["layers"] = new JsonArray(image.Layers.Select(l => (JsonNode)JsonSerializer.SerializeToNode(l, JsonOptions.Compact.Info<LayerRef>())!).ToArray()),
            ["layerDirs"] = new JsonArray(image.LayerDirs.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
            ["pulledAt"] = image.PulledAt.ToString("O"),
        };
        return info.ToJsonString(JsonOptions.Compact);
    }
}
