using System.Text.Json;
using Grpc.Core;
using Runtime.V1;

namespace CriShim.Cri;

/// <summary>Version, Status, RuntimeConfig and UpdateRuntimeConfig.</summary>
public sealed partial class RuntimeServiceHandler
{
    public const string RuntimeName = "crishim";
    public const string RuntimeApiVersion = "v1";
    public static readonly string RuntimeVersion = typeof(RuntimeServiceHandler).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    public override Task<VersionResponse> Version(VersionRequest request, ServerCallContext context) =>
        Task.FromResult(new VersionResponse
        {
            Version = "0.1.0", // the kubelet-facing API version field, as containerd and CRI-O answer
            RuntimeName = RuntimeName,
            RuntimeVersion = RuntimeVersion,
            RuntimeApiVersion = RuntimeApiVersion,
        });

    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        var conditions = new RuntimeStatus();
        conditions.Conditions.Add(new RuntimeCondition { Type = "RuntimeReady", Status = true });
        var (networkReady, networkReason) = NetworkReadiness();
        conditions.Conditions.Add(new RuntimeCondition
        {
            Type = "NetworkReady", Status = networkReady,
            Reason = networkReady ? "" : "NetworkPluginNotReady", Message = networkReason,
        });
        var response = new StatusResponse { Status = conditions };
        response.RuntimeHandlers.Add(new RuntimeHandler
        {
            Name = "",
            Features = new RuntimeHandlerFeatures { RecursiveReadOnlyMounts = false, UserNamespaces = false },
        });
        response.RuntimeHandlers.Add(new RuntimeHandler
        {
            Name = "runc",
            Features = new RuntimeHandlerFeatures { RecursiveReadOnlyMounts = false, UserNamespaces = false },
        });
        response.Features = new RuntimeFeatures { SupplementalGroupsPolicy = false };
        if (request.Verbose)
        {
            response.Info["config"] = JsonSerializer.Serialize(options, JsonOptions.Indented);
            foreach (var (key, value) in VerboseStatusInfo()) response.Info[key] = value;
        }
        return Task.FromResult(response);
    }

    public override Task<RuntimeConfigResponse> RuntimeConfig(RuntimeConfigRequest request, ServerCallContext context) =>
        Task.FromResult(new RuntimeConfigResponse { Linux = new LinuxRuntimeConfiguration { CgroupDriver = CgroupDriver.Cgroupfs } });

    public override Task<UpdateRuntimeConfigResponse> UpdateRuntimeConfig(UpdateRuntimeConfigRequest request, ServerCallContext context)
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
