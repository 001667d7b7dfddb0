using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace CriShim;

/// <summary>
/// The daemon's JSON settings. Serialization metadata comes from <see cref="CriShimJsonContext"/> (source-generated,
/// no reflection), so the daemon trims and compiles ahead of time: a type written or read with these options must be
/// listed there.
/// </summary>
public static class JsonOptions
{
    public static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true, TypeInfoResolver = CriShimJsonContext.Default };
    public static readonly JsonSerializerOptions Compact = new(JsonSerializerDefaults.Web) { TypeInfoResolver = CriShimJsonContext.Default };

    /// <summary>The metadata of <typeparamref name="T"/> under these options (for generic callers).</summary>
    public static JsonTypeInfo<T> Info<T>(this JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
}

[JsonSerializable(typeof(Config.CriShimOptions))]
[JsonSerializable(typeof(Stores.PodRecord))]
[JsonSerializable(typeof(Stores.ContainerRecord))]
[JsonSerializable(typeof(Images.ImageRecord))]
[JsonSerializable(typeof(Images.LayerRef))]
[JsonSerializable(typeof(Images.ImageIndex))]
[JsonSerializable(typeof(Images.ImageManifest))]
[JsonSerializable(typeof(Images.ImageConfigFile))]
[JsonSerializable(typeof(Oci.Network.CniStatus))]
[JsonSerializable(typeof(List<Cri.RuntimeHandlerInfo>))]
[JsonSerializable(typeof(Cri.PodSandboxInfo))]
[JsonSerializable(typeof(Cri.ContainerInfo))]
[JsonSerializable(typeof(Streaming.RemoteCommand.ResizeMessageReader.WireSize))]
internal sealed partial class CriShimJsonContext : JsonSerializerContext;
