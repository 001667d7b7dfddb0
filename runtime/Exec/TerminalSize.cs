namespace CriShim.Oci.Exec;

/// <summary>A terminal size in character cells, as the resize stream carries it.</summary>
public sealed record TerminalSize(ushort Width, ushort Height);
