namespace CriShim.RuntimeClasses;

/// <summary>How a runtime handler maps CRI containers onto the OCI runtime.</summary>
public enum RuntimeKind
{
    /// <summary>One runtime container per CRI container in shared pod namespaces (runc, crun).</summary>
    Oci,
    /// <summary>The pod is one sandbox whose first container is the infra; the others join it (gVisor's runsc).</summary>
    Sandboxed,
}
