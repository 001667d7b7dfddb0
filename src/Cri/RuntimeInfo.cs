using System.Text.Json;
using Grpc.Core;
using Runtime.V1;
using CriShim.Oci.Network;
using CriShim.Config;

namespace CriShim.Cri;

/// <summary>Version, Status, RuntimeConfig and UpdateRuntimeConfig.</summary>
public sealed partial class RuntimeStatusRpcs(CriShimOptions options, RuntimeState runtimeState, RuntimeClasses.RuntimeClassRegistry runtimeClasses, CniManager cni,
    Streaming.StreamingServer streaming, ILogger<RuntimeStatusRpcs> log)
{
    public const string RuntimeName = "crishim";
    public const string RuntimeApiVersion = "v1";
    public static readonly string RuntimeVersion = typeof(RuntimeServiceHandler).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    public Task<VersionResponse> Version(VersionRequest request, ServerCallContext context) =>
        Task.FromResult(new VersionResponse
        {
            Version = "0.1.0", // the kubelet-facing API version field, as containerd and CRI-O answer
            RuntimeName = RuntimeName,
            RuntimeVersion = RuntimeVersion,
            RuntimeApiVersion = RuntimeApiVersion,
        });

    public Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        var conditions = new RuntimeStatus();
        var handlers = runtimeClasses;
        // A missing runtime or conmon binary never stops the daemon: it serves and says here why it cannot run pods.
        var runtimeProblem = handlers.MonitorProblem ?? (handlers.Default.Problem is { } p ? $"default runtime handler \"{handlers.DefaultName}\": {p}" : null);
        conditions.Conditions.Add(new RuntimeCondition
        {
            Type = "RuntimeReady", Status = runtimeProblem is null,
            Reason = runtimeProblem is null ? "" : "RuntimeNotReady", Message = runtimeProblem ?? "",
        });
        var (networkReady, networkReason) = NetworkReadiness();
        conditions.Conditions.Add(new RuntimeCondition
        {
            Type = "NetworkReady", Status = networkReady,
            Reason = networkReady ? "" : "NetworkPluginNotReady", Message = networkReason,
        });
        // A handler this host cannot run is left out of runtime_handlers and explained by a condition of its own.
        foreach (var h in handlers.All.Where(h => !h.IsUsable))
            conditions.Conditions.Add(new RuntimeCondition
            {
                Type = $"RuntimeHandlerReady/{h.Name}", Status = false, Reason = "RuntimeHandlerUnavailable", Message = h.Problem,
            });
        var response = new StatusResponse { Status = conditions };
        if (handlers.Default.IsUsable) response.RuntimeHandlers.Add(HandlerInfo("", handlers.Default));
        foreach (var h in handlers.All.Where(h => h.IsUsable)) response.RuntimeHandlers.Add(HandlerInfo(h.Name, h));
        response.Features = new RuntimeFeatures { SupplementalGroupsPolicy = false };
        if (request.Verbose)
        {
            response.Info["config"] = JsonSerializer.Serialize(options, JsonOptions.Indented.Info<Config.CriShimOptions>());
            foreach (var (key, value) in VerboseStatusInfo()) response.Info[key] = value;
            response.Info["runtimeHandlers"] = JsonSerializer.Serialize(handlers.All.Select(h => new RuntimeHandlerInfo(
                h.Name, Kind: h.Kind.Name, h.Binary, Command: h.Runtime.Binary, h.Runtime.Root,
                Args: h.Runtime.ExtraGlobalArgs, Default: h.Name == handlers.DefaultName, h.Problem, h.Notes)).ToList(),
                JsonOptions.Indented.Info<List<RuntimeHandlerInfo>>());
        }
        return Task.FromResult(response);
    }

    // No handler offers recursive read-only mounts. User namespaces: OCI handlers join the pod's pinned one, whose
    // idmapped mounts CriShim makes itself; a sandbox (runsc) has its own kernel and gets none.
    static RuntimeHandler HandlerInfo(string name, RuntimeClasses.RuntimeClass handler) => new()
    {
        Name = name,
        Features = new RuntimeHandlerFeatures { RecursiveReadOnlyMounts = false, UserNamespaces = handler.Kind.SupportsUserNamespaces && HostHasUserNamespaces },
    };

    static bool HostHasUserNamespaces =>
        File.Exists("/proc/self/ns/user") && File.Exists("/proc/sys/user/max_user_namespaces") && File.ReadAllText("/proc/sys/user/max_user_namespaces").Trim() is var max && max != "0";

    public Task<RuntimeConfigResponse> RuntimeConfig(RuntimeConfigRequest request, ServerCallContext context) =>
        Task.FromResult(new RuntimeConfigResponse { Linux = new LinuxRuntimeConfiguration { CgroupDriver = CgroupDriver.Cgroupfs } });

    public Task<UpdateRuntimeConfigResponse> UpdateRuntimeConfig(UpdateRuntimeConfigRequest request, ServerCallContext context)
    {
        var cidr = request.RuntimeConfig?.NetworkConfig?.PodCidr ?? "";
        if (cidr != runtimeState.PodCidr)
        {
            log.LogInformation("pod CIDR set to {PodCidr}", cidr);
            runtimeState.PodCidr = cidr;
        }
        return Task.FromResult(new UpdateRuntimeConfigResponse());
    }
}
