namespace CriShim.Streaming;

/// <summary>A validated streaming request, parked in the <see cref="RequestCache"/> until its URL is used.</summary>
public abstract record StreamRequest;

public sealed record ExecStreamRequest(ContainerTarget Container, IReadOnlyList<string> Command, bool Tty, bool Stdin, bool Stdout, bool Stderr) : StreamRequest;

public sealed record AttachStreamRequest(ContainerTarget Container, bool Tty, bool Stdin, bool Stdout, bool Stderr) : StreamRequest;

public sealed record PortForwardStreamRequest(PodTarget Pod, IReadOnlyList<int> Ports) : StreamRequest;
