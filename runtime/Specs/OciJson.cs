using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace CriShim.Oci.Specs;

/// <summary>Serializer settings matching the OCI runtime-spec field names (camelCase, nulls omitted).</summary>
public static class OciJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNameCaseInsensitive = true,
        WriteIndented = true,
        TypeInfoResolver = OciJsonContext.Default,
    };

    /// <summary>The metadata of <typeparamref name="T"/> under <see cref="Options"/>.</summary>
    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
}

/// <summary>Source-generated serializers for every type read or written with <see cref="OciJson.Options"/> (no reflection: trimming/AOT safe).</summary>
[JsonSerializable(typeof(Model.Spec))]
[JsonSerializable(typeof(Model.LinuxSeccomp))]
[JsonSerializable(typeof(Seccomp.SeccompProfiles.ProfileTemplate))]
internal sealed partial class OciJsonContext : JsonSerializerContext;
