using System.Text.Json;
using System.Text.Json.Serialization;

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
    };
}
