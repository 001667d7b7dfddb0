using System.Text.Json;
using System.Text.Json.Nodes;

namespace CriShim.Oci.Network;

/// <summary>A network configuration list (a single-plugin .conf is turned into a list of one).</summary>
public sealed record CniNetworkConfig(string Name, string CniVersion, IReadOnlyList<JsonObject> Plugins, bool DisableCheck, string Json, string? SourceFile)
{
    public IEnumerable<string> PluginTypes => Plugins.Select(p => (string?)p["type"] ?? "");

    /// <summary>Parses a .conflist or a .conf; throws FormatException with the reason when invalid.</summary>
    public static CniNetworkConfig Parse(string json, string? sourceFile = null)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw new FormatException($"invalid JSON: {e.Message}", e);
        }
        var name = (string?)root["name"] ?? throw new FormatException("no \"name\"");
        var version = (string?)root["cniVersion"] ?? "0.2.0";
        List<JsonObject> plugins;
        if (root["plugins"] is JsonArray arr)
        {
            plugins = arr.OfType<JsonObject>().Select(p => p.DeepClone().AsObject()).ToList();
            if (plugins.Count == 0) throw new FormatException("\"plugins\" is empty");
        }
        else if (root["type"] is not null)
        {
            plugins = [root.DeepClone().AsObject()];
            var list = new JsonObject { ["cniVersion"] = version, ["name"] = name, ["plugins"] = new JsonArray(root.DeepClone()) };
            json = list.ToJsonString();
        }
        else
        {
            throw new FormatException("neither \"plugins\" nor \"type\"");
        }
        foreach (var p in plugins)
            if (string.IsNullOrEmpty((string?)p["type"])) throw new FormatException("a plugin has no \"type\"");
        var disableCheck = root["disableCheck"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        return new CniNetworkConfig(name, version, plugins, disableCheck, json, sourceFile);
    }

    /// <summary>The first valid config in <paramref name="dir"/> by file name; null (with the reason) when none is.</summary>
    public static CniNetworkConfig? LoadDefault(string dir, out string? reason)
    {
        reason = null;
        if (!Directory.Exists(dir)) { reason = $"CNI config directory {dir} does not exist"; return null; }
        var files = Directory.GetFiles(dir)
            .Where(f => f.EndsWith(".conf", StringComparison.Ordinal) || f.EndsWith(".conflist", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .ToList();
        var problems = new List<string>();
        foreach (var f in files)
        {
            try
            {
                return Parse(File.ReadAllText(f), f);
            }
            catch (Exception e) when (e is FormatException or IOException)
            {
                problems.Add($"{Path.GetFileName(f)}: {e.Message}");
            }
        }
        reason = files.Count == 0 ? $"no network config found in {dir}" : "no valid network config: " + string.Join("; ", problems);
        return null;
    }

    /// <summary>The stdin of one plugin in the chain (libcni's buildOneConfig): the plugin's own object plus the
    /// list's name and cniVersion, the previous result, and only the runtime config keys it declares as capabilities.</summary>
    public static string PluginConfig(JsonObject plugin, string name, string cniVersion, JsonNode? prevResult, JsonObject? runtimeConfig)
    {
        var conf = plugin.DeepClone().AsObject();
        conf["name"] = name;
        conf["cniVersion"] = cniVersion;
        if (prevResult is not null) conf["prevResult"] = prevResult.DeepClone();
        else conf.Remove("prevResult");
        conf.Remove("runtimeConfig");
        if (runtimeConfig is not null && plugin["capabilities"] is JsonObject caps)
        {
            var rc = new JsonObject();
            foreach (var (key, enabled) in caps)
            {
                if (enabled is JsonValue ev && ev.TryGetValue<bool>(out var on) && on && runtimeConfig[key] is { } value)
                    rc[key] = value.DeepClone();
            }
            if (rc.Count > 0) conf["runtimeConfig"] = rc;
        }
        return conf.ToJsonString();
    }
}
