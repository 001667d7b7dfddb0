using CriShim.Oci.Network;

namespace CriShim.Cri;

/// <summary>Parts of Status that depend on the node: network readiness from the CNI configuration.</summary>
public sealed partial class RuntimeStatusRpcs
{
    (bool Ready, string Reason) NetworkReadiness()
    {
        var status = cni.Status();
        return (status.Ready, status.Ready ? "" : status.Reason ?? "no CNI network configuration");
    }

    IEnumerable<(string Key, string Value)> VerboseStatusInfo()
    {
        var status = cni.Status();
        yield return ("cni", System.Text.Json.JsonSerializer.Serialize(status, JsonOptions.Indented.Info<CniStatus>()));
        string? baseUrl = null;
        try { baseUrl = streaming.BaseUrl.ToString(); } catch (InvalidOperationException) { }
        yield return ("streamingUrl", baseUrl ?? "");
    }
}
