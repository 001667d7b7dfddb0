namespace CriShim.Oci.Specs;

/// <summary>The io.kubernetes.cri.* annotations containerd puts on specs (read by runtimes, hooks and tools).</summary>
public static class CriAnnotations
{
    public const string ContainerType = "io.kubernetes.cri.container-type";
    public const string ContainerTypeSandbox = "sandbox";
    public const string ContainerTypeContainer = "container";
    public const string SandboxId = "io.kubernetes.cri.sandbox-id";
    public const string SandboxName = "io.kubernetes.cri.sandbox-name";
    public const string SandboxNamespace = "io.kubernetes.cri.sandbox-namespace";
    public const string SandboxUid = "io.kubernetes.cri.sandbox-uid";
    public const string SandboxLogDirectory = "io.kubernetes.cri.sandbox-log-directory";
    public const string ContainerName = "io.kubernetes.cri.container-name";
    public const string ImageName = "io.kubernetes.cri.image-name";
}
