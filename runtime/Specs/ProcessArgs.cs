namespace CriShim.Oci.Specs;

/// <summary>Kubernetes rules for the process command line and environment.</summary>
public static class ProcessArgs
{
    /// <summary>
    /// A CRI command replaces the image entrypoint and drops the image cmd; CRI args replace the image cmd.
    /// </summary>
    public static IReadOnlyList<string> Merge(IReadOnlyList<string> command, IReadOnlyList<string> args, ImageDefaults image)
    {
        var result = new List<string>();
        if (command.Count > 0)
        {
            result.AddRange(command);
            result.AddRange(args);
        }
        else
        {
            result.AddRange(image.Entrypoint);
            result.AddRange(args.Count > 0 ? args : image.Cmd);
        }
        return result.Count > 0 ? result : throw new SpecException("no command specified: neither the container config nor the image sets one");
    }

    /// <summary>Image env first, each CRI entry replacing the image entry with the same key in place or appended.</summary>
    public static IReadOnlyList<string> MergeEnv(IEnumerable<string> imageEnv, IEnumerable<KeyValuePair<string, string>> overrides)
    {
        var result = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        void Set(string key, string entry)
        {
            if (index.TryGetValue(key, out var i)) result[i] = entry;
            else { index[key] = result.Count; result.Add(entry); }
        }
        foreach (var entry in imageEnv) Set(KeyOf(entry), entry);
        foreach (var (key, value) in overrides)
        {
            if (string.IsNullOrEmpty(key) || key.Contains('=')) throw new SpecException($"invalid environment variable name \"{key}\"");
            Set(key, key + "=" + value);
        }
        return result;
    }

    /// <summary>Adds "KEY=value" only when <paramref name="env"/> has no such key.</summary>
    public static IReadOnlyList<string> WithDefault(IReadOnlyList<string> env, string entry) =>
        env.Any(e => KeyOf(e) == KeyOf(entry)) ? env : [.. env, entry];

    public static string KeyOf(string entry)
    {
        var eq = entry.IndexOf('=');
        return eq < 0 ? entry : entry[..eq];
    }
}
