namespace CriShim.Cri;

/// <summary>Parts of Status that later stages fill in (network readiness, streaming URL base...).</summary>
public sealed partial class RuntimeServiceHandler
{
    (bool Ready, string Reason) NetworkReadiness() => (false, "CNI networking is not wired yet");

    IEnumerable<(string Key, string Value)> VerboseStatusInfo() => [];
}
