using CriShim.Bench.Infra;

namespace CriShim.Bench.Crictl;

/// <summary>crictl against one runtime's socket: a fresh process per call, as an operator or a script runs it.</summary>
sealed class CrictlClient
{
    readonly string _binary;
    readonly string _config;

    /// <summary>Writes a crictl config of its own (endpoints, no pull on create, no debug) so /etc/crictl.yaml plays no part.</summary>
    public CrictlClient(string binary, string socket, string configFile)
    {
        _binary = binary;
        _config = configFile;
        File.WriteAllText(configFile, $"""
            runtime-endpoint: unix://{socket}
            image-endpoint: unix://{socket}
            timeout: 120
            debug: false
            pull-image-on-create: false
            """);
    }

    /// <summary>`crictl ARGS`; its trimmed stdout, or an exception with its stderr.</summary>
    public async Task<string> RunAsync(CancellationToken ct, params string[] args)
    {
        var result = await Shell.RunAsync(_binary, ["--config", _config, .. args], ct);
        return result.EnsureSuccess($"crictl {string.Join(' ', args)}").StdOut.Trim();
    }

    public static async Task<string> VersionAsync(string binary) => await Shell.FirstLineAsync(binary, "--version");
}
