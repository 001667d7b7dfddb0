using System.Text.Json;
using System.Text.Json.Serialization;

namespace CriShim.Oci.Runc;

/// <summary>What `runc state` / `runc list` report for one container.</summary>
public sealed record RuncState(
    string Id,
    string Status,
    int Pid,
    DateTimeOffset Created,
    string Bundle,
    IReadOnlyDictionary<string, string> Annotations)
{
    public bool IsRunning => Status == "running";
    public bool IsCreated => Status == "created";
    public bool IsStopped => Status == "stopped";

    /// <summary>Parses one state object (`runc state ID`).</summary>
    public static RuncState Parse(string json) =>
        From(JsonSerializer.Deserialize(json, RuncJsonContext.Default.RuncStateDto)
             ?? throw new FormatException("runc state: empty JSON"));

    /// <summary>Parses `runc list --format json` (which prints `null` when there is nothing).</summary>
    public static IReadOnlyList<RuncState> ParseList(string json)
    {
        if (string.IsNullOrWhiteSpace(json)) return [];
        var list = JsonSerializer.Deserialize(json, RuncJsonContext.Default.ListRuncStateDto);
        return list is null ? [] : list.Select(From).ToList();
    }

    private static RuncState From(RuncStateDto d) => new(
        d.Id ?? throw new FormatException("runc state: no id"),
        d.Status ?? "unknown",
        d.Pid,
        d.Created ?? DateTimeOffset.MinValue,
        d.Bundle ?? "",
        d.Annotations ?? new Dictionary<string, string>());
}

internal sealed class RuncStateDto
{
    [JsonPropertyName("id")] public string? Id { get; set; }
    [JsonPropertyName("pid")] public int Pid { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("bundle")] public string? Bundle { get; set; }
    [JsonPropertyName("created")] public DateTimeOffset? Created { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
}

[JsonSerializable(typeof(RuncStateDto))]
[JsonSerializable(typeof(List<RuncStateDto>))]
internal sealed partial class RuncJsonContext : JsonSerializerContext;
