using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace CriShim.Config;

/// <summary>Reads defaults, then the optional JSON file named by --config, then the command-line flags.</summary>
public static class ConfigLoader
{
    static readonly Dictionary<string, string> Switches = new()
    {
        ["--listen"] = "Listen", ["--root"] = "Root", ["--state"] = "State",
        ["--log-level"] = "LogLevel", ["--config"] = "Config",
        ["--cni-conf-dir"] = "Cni:ConfDir", ["--cni-bin-dir"] = "Cni:BinDir",
        ["--streaming-address"] = "Streaming:Address",
    };

    public static CriShimOptions Load(string[] args)
    {
        var flags = new ConfigurationBuilder().AddCommandLine(args, Switches).Build();
        var builder = new ConfigurationBuilder();
        var file = flags["Config"];
        if (!string.IsNullOrEmpty(file))
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"config file {file} not found", file);
            builder.AddJsonFile(Path.GetFullPath(file), optional: false);
        }
        builder.AddCommandLine(args, Switches);
        var options = new CriShimOptions();
        builder.Build().Bind(options);
        if (!string.IsNullOrEmpty(file)) options.Registry.Mirrors = MirrorsFromJson(file) ?? options.Registry.Mirrors;
        return options;
    }

    /// <summary>
    /// registry.mirrors read straight from the JSON: its keys are registry hosts, and a host with a port
    /// ("localhost:5000") would be split at the ':' by the configuration binder, which treats it as a section separator.
    /// </summary>
    static Dictionary<string, List<string>>? MirrorsFromJson(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(file),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (Property(document.RootElement, "registry") is not { ValueKind: JsonValueKind.Object } registry
            || Property(registry, "mirrors") is not { ValueKind: JsonValueKind.Object } mirrors) return null;
        var result = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in mirrors.EnumerateObject())
        {
            if (host.Value.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"registry.mirrors.{host.Name} must be a list of endpoints");
            result[host.Name] = [.. host.Value.EnumerateArray().Select(e => e.GetString() ?? "")];
        }
        return result;
    }

    static JsonElement? Property(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object) return null;
        foreach (var property in element.EnumerateObject())
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)) return property.Value;
        return null;
    }
}
