using CriShim.Oci.Specs;
using CriShim.Oci.Specs.Model;

namespace CriShim.RuntimeClasses;

/// <summary>What a sandboxed runtime needs changed in a spec CriShim wrote for runc.</summary>
public static class SandboxSpec
{
    /// <summary>runsc (2022) knows the capabilities up to CAP_AUDIT_READ and refuses a spec naming a newer one
    /// ("unknown capability CAP_PERFMON"), which privileged and ALL grant from the host's bounding set.</summary>
    public const int LastKnownCapability = 37;

    static readonly HashSet<string> Known = new(CapabilitySet.All.Take(LastKnownCapability + 1), StringComparer.Ordinal);

    public static Spec Adjust(Spec spec) => spec.Process?.Capabilities is not { } caps ? spec : spec with
    {
        Process = spec.Process with
        {
            Capabilities = new Capabilities
            {
                Bounding = Keep(caps.Bounding), Effective = Keep(caps.Effective), Permitted = Keep(caps.Permitted),
                Inheritable = Keep(caps.Inheritable), Ambient = Keep(caps.Ambient),
            },
        },
    };

    static IReadOnlyList<string>? Keep(IReadOnlyList<string>? set) => set is null ? null : [.. set.Where(Known.Contains)];
}
