using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CriShim.Oci.Runc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CriShim.Oci.Network;

/// <summary>Runs CNI plugin chains for pods (ADD/CHECK/DEL per the CNI spec, prevResult chaining, capability-filtered
/// runtimeConfig) plus the loopback plugin for `lo`. What ADD used and produced is cached per pod, so DEL works after
/// a daemon restart and after the config file changed.</summary>
public sealed class CniManager
{
    private const string LoopbackConf = """{"cniVersion":"1.0.0","name":"cni-loopback","type":"loopback"}""";
    private readonly CniSettings _settings;
    private readonly ILogger _log;

    public CniManager(CniSettings settings, ILogger<CniManager>? logger = null)
    {
        _settings = settings;
        _log = logger ?? NullLogger<CniManager>.Instance;
    }

    /// <summary>Ready when a valid config exists and all its plugins (and loopback) are installed.</summary>
    public CniStatus Status()
    {
        var conf = CniNetworkConfig.LoadDefault(_settings.ConfDir, out var reason);
        if (conf is null) return new CniStatus(false, reason, null, null);
        foreach (var type in conf.PluginTypes.Append("loopback").Distinct())
        {
            if (FindPlugin(type) is null)
                return new CniStatus(false, $"CNI plugin {type} (network {conf.Name}) not found in {string.Join(":", _settings.BinDirs)}", conf.Name, conf.SourceFile);
        }
        return new CniStatus(true, null, conf.Name, conf.SourceFile);
    }

    /// <summary>CNI_ARGS for a pod, as the kubelet-era runtimes pass them.</summary>
    public static string CniArgs(CniPod pod) =>
        $"IgnoreUnknown=1;K8S_POD_NAMESPACE={pod.Namespace};K8S_POD_NAME={pod.Name};K8S_POD_INFRA_CONTAINER_ID={pod.PodId};K8S_POD_UID={pod.Uid}";

    /// <summary>The runtimeConfig object offered to plugins that declare the matching capability.</summary>
    public static JsonObject RuntimeConfig(CniPod pod)
    {
        var rc = new JsonObject();
        if (pod.PortMappings.Count > 0)
        {
            rc["portMappings"] = new JsonArray(pod.PortMappings.Select(p =>
            {
                var o = new JsonObject { ["hostPort"] = p.HostPort, ["containerPort"] = p.ContainerPort, ["protocol"] = p.Protocol.ToLowerInvariant() };
                if (!string.IsNullOrEmpty(p.HostIP)) o["hostIP"] = p.HostIP;
                return (JsonNode)o;
            }).ToArray());
        }
        if (pod.Bandwidth is { } bw)
        {
            var o = new JsonObject();
            if (bw.IngressRate is { } ir) o["ingressRate"] = ir;
            if (bw.IngressBurst is { } ib) o["ingressBurst"] = ib;
            if (bw.EgressRate is { } er) o["egressRate"] = er;
            if (bw.EgressBurst is { } eb) o["egressBurst"] = eb;
            if (o.Count > 0) rc["bandwidth"] = o;
        }
        return rc;
    }

    /// <summary>Attaches the pod: loopback, then the default network's chain. On failure whatever was set up is
    /// torn down again before the error is thrown.</summary>
    public async Task<CniResult> SetUpAsync(CniPod pod, CancellationToken ct = default)
    {
        var conf = CniNetworkConfig.LoadDefault(_settings.ConfDir, out var reason)
                   ?? throw new InvalidOperationException(reason);
        var record = new CniCacheRecord
        {
            PodId = pod.PodId,
            NetNs = pod.NetNsPath,
            IfName = _settings.InterfaceName,
            CniArgs = CniArgs(pod),
            NetworkConfig = conf.Json,
            RuntimeConfig = RuntimeConfig(pod).ToJsonString(),
        };
        // Written before ADD: a crash half-way must still let DEL clean up.
        await WriteCacheAsync(record, ct);
        // loopback touches only `lo` and the chain only its own interface: the two run side by side (the chain's
        // plugins one after the other, each fed the previous result), and both are done before the result counts.
        var loopback = RunPluginAsync("ADD", JsonNode.Parse(LoopbackConf)!.AsObject(), "cni-loopback", "1.0.0", null, null, pod.PodId, pod.NetNsPath, "lo", record.CniArgs, ct);
        try
        {
            JsonNode? prev = null;
            var runtimeConfig = JsonNode.Parse(record.RuntimeConfig)!.AsObject();
            try
            {
                foreach (var plugin in conf.Plugins)
                {
                    var output = await RunPluginAsync("ADD", plugin, conf.Name, conf.CniVersion, prev, runtimeConfig, pod.PodId, pod.NetNsPath, record.IfName, record.CniArgs, ct);
                    prev = string.IsNullOrWhiteSpace(output) ? prev : JsonNode.Parse(output);
                }
            }
            finally
            {
                // A failed chain still waits for loopback, so the undo below never races a plugin still running.
                await Task.WhenAny(loopback);
            }
            await loopback;
            var resultJson = prev?.ToJsonString() ?? $$"""{"cniVersion":"{{conf.CniVersion}}"}""";
            record = record with { Result = resultJson };
            await WriteCacheAsync(record, CancellationToken.None);
            var result = CniResultParser.Parse(resultJson);
            _log.LogInformation("pod {PodId} attached to {Network}: {Ips}", pod.PodId, conf.Name, string.Join(",", result.Ips));
            return result;
        }
        catch (Exception e)
        {
            _log.LogWarning("CNI ADD for pod {PodId} failed, undoing: {Error}", pod.PodId, e.Message);
            if (loopback.IsFaulted) _log.LogDebug(loopback.Exception.InnerException, "loopback ADD for {PodId} failed too", pod.PodId); // observed, not left to the finalizer
            try { await TearDownAsync(pod.PodId, CancellationToken.None); }
            catch (Exception undo) { _log.LogWarning(undo, "undoing CNI ADD for {PodId}", pod.PodId); }
            throw;
        }
    }

    /// <summary>Detaches the pod using what ADD cached (config, result, args). Idempotent: a pod with no cache
    /// has nothing attached. When the network namespace is already gone, plugin errors are ignored.</summary>
    public async Task TearDownAsync(string podId, CancellationToken ct = default)
    {
        var record = await ReadCacheAsync(podId, ct);
        if (record is null) return;
        var conf = CniNetworkConfig.Parse(record.NetworkConfig);
        var netnsGone = !File.Exists(record.NetNs);
        var runtimeConfig = JsonNode.Parse(record.RuntimeConfig ?? "{}")!.AsObject();
        JsonNode? prev = record.Result is { } r && SupportsPrevResult(conf.CniVersion) ? JsonNode.Parse(r) : null;
        var errors = new List<Exception>();
        foreach (var plugin in conf.Plugins.Reverse())
        {
            try
            {
                await RunPluginAsync("DEL", plugin, conf.Name, conf.CniVersion, prev, runtimeConfig, podId, record.NetNs, record.IfName, record.CniArgs, ct);
            }
            catch (Exception e) when (e is CniException or TimeoutException or FileNotFoundException)
            {
                errors.Add(e);
            }
        }
        if (!netnsGone)
        {
            try
            {
                await RunPluginAsync("DEL", JsonNode.Parse(LoopbackConf)!.AsObject(), "cni-loopback", "1.0.0", null, null, podId, record.NetNs, "lo", record.CniArgs, ct);
            }
            catch (Exception e) when (e is CniException or TimeoutException) { _log.LogDebug(e, "loopback DEL"); }
        }
        if (errors.Count > 0 && !netnsGone) throw errors[0];
        foreach (var e in errors) _log.LogWarning("CNI DEL for pod {PodId} (netns gone): {Error}", podId, e.Message);
        File.Delete(CachePath(podId));
    }

    private async Task<string> RunPluginAsync(string command, JsonObject plugin, string name, string version, JsonNode? prev,
        JsonObject? runtimeConfig, string containerId, string netns, string ifName, string cniArgs, CancellationToken ct)
    {
        var type = (string)plugin["type"]!;
        var binary = FindPlugin(type) ?? throw new FileNotFoundException($"CNI plugin {type} not found in {string.Join(":", _settings.BinDirs)}");
        var stdin = CniNetworkConfig.PluginConfig(plugin, name, version, prev, runtimeConfig);
        var env = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = containerId,
            ["CNI_NETNS"] = netns,
            ["CNI_IFNAME"] = ifName,
            ["CNI_PATH"] = string.Join(":", _settings.BinDirs),
            ["CNI_ARGS"] = cniArgs,
        };
        var took = System.Diagnostics.Stopwatch.StartNew();
        var r = await CommandRunner.RunAsync(new CommandSpec(binary, [])
        {
            Stdin = Encoding.UTF8.GetBytes(stdin),
            Environment = env,
            Timeout = _settings.PluginTimeout,
        }, ct);
        _log.LogDebug("CNI {Command} {Plugin} for {ContainerId} exited {ExitCode} in {Ms:F1} ms", command, type, containerId, r.ExitCode, took.Elapsed.TotalMilliseconds);
        if (r.ExitCode == 0) return r.StdoutText;
        throw PluginError(type, command, r);
    }

    internal static CniException PluginError(string type, string command, CommandResult r)
    {
        try
        {
            if (JsonNode.Parse(r.StdoutText) is JsonObject err)
                return new CniException(type, command, (int?)err["code"] ?? r.ExitCode, (string?)err["msg"] ?? r.StderrText.Trim(), (string?)err["details"]);
        }
        catch (JsonException) { }
        var text = (r.StdoutText + " " + r.StderrText).Trim();
        return new CniException(type, command, r.ExitCode, text.Length > 0 ? text : $"exit status {r.ExitCode}");
    }

    private string? FindPlugin(string type)
    {
        if (type.Contains('/')) return null;
        return _settings.BinDirs.Select(d => Path.Combine(d, type)).FirstOrDefault(File.Exists);
    }

    private static bool SupportsPrevResult(string version) =>
        Version.TryParse(version, out var v) && v >= new Version(0, 4, 0);

    private string CachePath(string podId)
    {
        if (string.IsNullOrEmpty(podId) || podId.Contains('/') || podId is "." or "..")
            throw new ArgumentException($"invalid pod id '{podId}'", nameof(podId));
        return Path.Combine(_settings.CacheDir, podId + ".json");
    }

    private async Task WriteCacheAsync(CniCacheRecord record, CancellationToken ct)
    {
        Directory.CreateDirectory(_settings.CacheDir);
        var path = CachePath(record.PodId);
        var tmp = path + ".tmp";
        await File.WriteAllTextAsync(tmp, JsonSerializer.Serialize(record, CniJsonContext.Default.CniCacheRecord), ct);
        File.Move(tmp, path, overwrite: true);
    }

    private async Task<CniCacheRecord?> ReadCacheAsync(string podId, CancellationToken ct)
    {
        var path = CachePath(podId);
        if (!File.Exists(path)) return null;
        var text = await File.ReadAllTextAsync(path, ct);
        return JsonSerializer.Deserialize(text, CniJsonContext.Default.CniCacheRecord);
    }
}

/// <summary>What ADD used and produced for one pod.</summary>
internal sealed record CniCacheRecord
{
    public required string PodId { get; init; }
    public required string NetNs { get; init; }
    public required string IfName { get; init; }
    public required string CniArgs { get; init; }
    public required string NetworkConfig { get; init; }
    public string? RuntimeConfig { get; init; }
    public string? Result { get; init; }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(CniCacheRecord))]
internal sealed partial class CniJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
