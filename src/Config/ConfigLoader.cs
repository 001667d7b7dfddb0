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
        return options;
    }
}
