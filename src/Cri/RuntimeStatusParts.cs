using CriShim.Oci.Network;

namespace CriShim.Cri;

/// <summary>Parts of Status that depend on the node: network readiness from the CNI configuration.</summary>
public sealed partial class RuntimeServiceHandler
{
    (bool Ready, string Reason) NetworkReadiness()
    {
        var status = services.GetRequiredService<CniManager>().Status();
        return (status.Ready, status.Ready ? "" : status.Reason ?? "no CNI network configuration");
    }

    IEnumerable<(string Key, string Value)> VerboseStatusInfo()
    {
        var status = services.GetRequiredService<CniManager>().Status();
        yield return ("cni", System.Text.Json.JsonSerializer.Serialize(status, JsonOptions.Indented.Info<CniStatus>()));
        var streaming = services.GetRequiredService<Streaming.StreamingServer>();
        string? baseUrl = null;
        try { baseUrl = streaming.BaseUrl.ToString(); } catch (InvalidOperationException) { }
        yield return ("streamingUrl", baseUrl ?? "");
    }
}
