using CriShim.Oci.Monitor;
using CriShim.Oci.Runc;

namespace CriShim.RuntimeClasses;

/// <summary>One configured RuntimeClass handler: the runtime client and conmon monitor that drive its binary.</summary>
public sealed class RuntimeClass
{
    public required string Name { get; init; }
    /// <summary>How the handler maps pods and containers onto the runtime.</summary>
    public required IRuntimeKind Kind { get; init; }
    /// <summary>The runtime binary itself (for a sandboxed handler, the binary behind the shim).</summary>
    public required string Binary { get; init; }
    /// <summary>Talks to the runtime (through the shim for a sandboxed handler) with the handler's root and flags.</summary>
    public required RuncClient Runtime { get; init; }
    /// <summary>conmon driving this runtime; every handler's monitor shares one state directory (IDs are unique).</summary>
    public required ContainerMonitor Monitor { get; init; }
    /// <summary>Why the handler cannot run pods on this host, or null when it can.</summary>
    public string? Problem { get; init; }
    /// <summary>Host workarounds in effect, for Status' verbose info.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public bool IsUsable => Problem is null;
}
