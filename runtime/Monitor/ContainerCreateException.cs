namespace CriShim.Oci.Monitor;

/// <summary>`runc create` under conmon failed; the message is runc's (or conmon's) own text.</summary>
public sealed class ContainerCreateException(string containerId, string message, Exception? inner = null)
    : Exception($"creating container {containerId}: {message}", inner)
{
    public string ContainerId { get; } = containerId;
    public string RuntimeMessage { get; } = message;
}
